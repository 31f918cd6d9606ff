import { DEFAULT_FORMS } from '@switchboard/protocol';
import { textIn, type FormField } from '../../kernel/config/schema.js';
import { badRequest, type FieldProblem } from '../../kernel/http/errors.js';

/** What a filled-in form gives the channel: contact fields, routing variables and every answer. */
export interface FormResult {
  contact: { name?: string; email?: string; phone?: string; customFields: Record<string, string> };
  variables: Record<string, string>;
  answers: Record<string, string | number | boolean | string[] | { fileName: string; size: number }>;
}

// Where a website defines no form (the visitor gives at least a name and an email to chat). The
// widget draws the same lists: both take them from the protocol.
export const DEFAULT_CHAT_FORM: FormField[] = [...DEFAULT_FORMS.chat];
export const DEFAULT_OFFLINE_FORM: FormField[] = [...DEFAULT_FORMS.offline];
export const DEFAULT_MAIL_FORM: FormField[] = [...DEFAULT_FORMS.mail];
export const DEFAULT_CALLBACK_FORM: FormField[] = [...DEFAULT_FORMS.callback];

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/**
 * Checks the answers against the website's form definition, field by field, the way the widget
 * shows them: every problem is named (`fields.<name>`), unknown fields are refused, empty strings
 * count as missing.
 */
export function validateForm(form: FormField[], raw: unknown, prefix = 'fields'): FormResult {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The form answers must be an object of field name → value.', [{ field: prefix, problem: 'must be an object' }]);
  const input = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const out: FormResult = { contact: { customFields: {} }, variables: {}, answers: {} };
  const known = new Set<string>();
  for (const f of form) {
    if (f.type === 'label') continue;
    known.add(f.name);
    const field = `${prefix}.${f.name}`;
    const v = input[f.name];
    const missing = v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0) || (f.type === 'agreement' && v === false);
    if (missing) {
      if (f.required) problems.push({ field, problem: f.type === 'agreement' ? 'must be accepted' : 'is required' });
      continue;
    }
    const problem = check(f, v);
    if (typeof problem === 'string') {
      problems.push({ field, problem });
      continue;
    }
    out.answers[f.name] = problem.value;
    const text = Array.isArray(problem.value) ? problem.value.join(',') : typeof problem.value === 'object' ? problem.value.fileName : String(problem.value);
    if (f.mapsTo && 'contact' in f.mapsTo) {
      const target = f.mapsTo.contact;
      if (target.startsWith('custom.')) out.contact.customFields[target.slice(7)] = text;
      else out.contact[target as 'name' | 'email' | 'phone'] = text;
    } else if (f.mapsTo && 'variable' in f.mapsTo) {
      out.variables[f.mapsTo.variable] = text;
    }
  }
  for (const k of Object.keys(input)) if (!known.has(k)) problems.push({ field: `${prefix}.${k}`, problem: 'unknown field' });
  if (problems.length) throw badRequest(`Some fields are not valid: ${problems.map((p) => `${p.field} ${p.problem}`).join('; ')}.`, problems);
  return out;
}

type Checked = { value: FormResult['answers'][string] } | string;

function check(f: Exclude<FormField, { type: 'label' }>, v: unknown): Checked {
  switch (f.type) {
    case 'text':
    case 'textarea': {
      if (typeof v !== 'string') return 'must be text';
      const s = v.trim();
      return s.length > f.maxLength ? `must be at most ${f.maxLength} characters` : { value: s };
    }
    case 'email': {
      if (typeof v !== 'string') return 'must be text';
      const s = v.trim();
      return s.length <= 254 && EMAIL.test(s) ? { value: s } : 'must be an email address';
    }
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
      if (!Number.isFinite(n)) return 'must be a number';
      if (f.min !== undefined && n < f.min) return `must be at least ${f.min}`;
      if (f.max !== undefined && n > f.max) return `must be at most ${f.max}`;
      return { value: n };
    }
    case 'select':
    case 'radio': {
      if (typeof v !== 'string' || !f.options.some((o) => o.value === v)) return `must be one of ${f.options.map((o) => o.value).join(', ')}`;
      return { value: v };
    }
    case 'checkboxes': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !f.options.some((o) => o.value === x))) return `must be a list of ${f.options.map((o) => o.value).join(', ')}`;
      return { value: [...new Set(v as string[])] };
    }
    case 'agreement':
      return v === true ? { value: true } : 'must be true (accepted) or false';
    case 'attachment': {
      // The file itself is uploaded to the chat once it exists; the form carries what it will be.
      const a = v as { fileName?: unknown; size?: unknown };
      if (typeof v !== 'object' || typeof a.fileName !== 'string' || typeof a.size !== 'number') return 'must be { fileName, size }';
      const ext = extensionOf(a.fileName);
      if (!f.acceptedTypes.includes(ext)) return `must be one of ${f.acceptedTypes.join(', ')}`;
      if (a.size > f.maxBytes) return `must be at most ${f.maxBytes} bytes`;
      return { value: { fileName: a.fileName.slice(0, 255), size: a.size } };
    }
  }
}

export function extensionOf(name: string): string {
  const m = /\.[A-Za-z0-9]+$/.exec(name);
  return m ? m[0].toLowerCase() : '';
}

/** The answers as readable text, for the message that records an offline form. */
export function formText(form: FormField[], answers: FormResult['answers']): string {
  const lines: string[] = [];
  for (const f of form) {
    if (f.type === 'label' || answers[f.name] === undefined) continue;
    const v = answers[f.name]!;
    lines.push(`${textIn(f.label)}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? v.fileName : String(v)}`);
  }
  return lines.join('\n');
}
