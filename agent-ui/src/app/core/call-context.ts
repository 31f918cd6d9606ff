/**
 * What a call brings about its customer. Widget calls reach the agent with X- headers the trunk
 * names (config trunks.yaml `contextHeaders`, e.g. X-Switchboard-Name, or the SIP package's
 * defaults X-Customer-Name, X-Form-<field>); the desktop does not know the configured names, so
 * it recognises them by their last word and shows every other X- header as a form field.
 */
export interface CallContext {
  interactionId: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  fields: [string, string][];
}

const KNOWN: [RegExp, keyof Omit<CallContext, 'fields'>][] = [
  [/-(interaction|interaction-id)$/i, 'interactionId'],
  [/-website$/i, 'website'],
  [/-name$/i, 'name'],
  [/-email$/i, 'email'],
  [/-phone$/i, 'phone'],
];
/** Headers that are transport, not customer context. */
const IGNORED = /^x-(end-cause|switchboard-call|switchboard-invite|rtpengine|sbc-|asterisk|freeswitch)/i;

/** Header values reach us as SIP carried them: UTF-8 bytes, possibly read as Latin-1. */
function decode(v: string): string {
  if (!/[\u0080-\u00ff]/.test(v) || /[^\u0000-\u00ff]/.test(v)) return v;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(v, (c) => c.charCodeAt(0)));
  } catch {
    return v;
  }
}

export function callContext(headers: [string, string][]): CallContext {
  const ctx: CallContext = { interactionId: null, name: null, email: null, phone: null, website: null, fields: [] };
  for (const [rawName, rawValue] of headers) {
    if (!/^x-/i.test(rawName) || IGNORED.test(rawName)) continue;
    const value = decode(rawValue.trim());
    if (!value) continue;
    const known = KNOWN.find(([re]) => re.test(rawName) && !/^x-form-/i.test(rawName));
    if (known) {
      ctx[known[1]] ??= value;
      continue;
    }
    const label = rawName.replace(/^x-(form-|switchboard-|field-)?/i, '').replace(/[-_]+/g, ' ');
    ctx.fields.push([label.charAt(0).toUpperCase() + label.slice(1), value]);
  }
  return ctx;
}
