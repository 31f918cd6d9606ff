import type { IncomingHttpHeaders } from 'node:http';

/**
 * The widget's frame is a page of Switchboard itself (served at /widget/frame/<website> with
 * `frame-ancestors` limited to the website's origins), so its requests carry Switchboard's own
 * origin, not the website's. They are accepted like the website's: the browser, not page script,
 * enforces both the Origin header and who may embed the frame.
 *
 * Same-origin GETs from Chromium carry no Origin header; Sec-Fetch-Site (also set by the browser
 * only) tells them apart from cross-site ones.
 */
export function isWidgetFrame(headers: IncomingHttpHeaders, ownOrigins: string[]): boolean {
  const origin = headers.origin;
  if (origin) return ownOrigins.includes(origin);
  return headers['sec-fetch-site'] === 'same-origin';
}
