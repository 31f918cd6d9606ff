/**
 * Whether an SDP offer asks for video: an `m=video` section with a port (0 means declined) that
 * is not inactive, by its own `a=inactive` or the session's. Anything that is not SDP is "no".
 */
export function offersVideo(sdp: unknown): boolean {
  if (typeof sdp !== 'string') return false;
  let sessionInactive = false;
  let section: { video: boolean; inactive: boolean } | null = null;
  const sections: { video: boolean; inactive: boolean }[] = [];
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    const media = /^m=(\w+) (\d+)(?:\/\d+)? /.exec(line);
    if (media) {
      section = { video: media[1] === 'video' && Number(media[2]) > 0, inactive: false };
      sections.push(section);
    } else if (line === 'a=inactive') {
      if (section) section.inactive = true;
      else sessionInactive = true;
    }
  }
  return sections.some((s) => s.video && !s.inactive && !sessionInactive);
}
