import { h, uid } from './dom';
import { t, txt } from './i18n';
import type { Field } from './api';

export interface RenderedForm {
  el: HTMLFieldSetElement;
  /** The answers, or null after showing a warning beside every field that is not right. */
  collect(): Record<string, unknown> | null;
  /** The files picked in attachment fields, by field name (sent after the form itself). */
  files(): Record<string, File>;
  /** Problems the server named (field "fields.<name>") shown beside their fields. */
  showProblems(problems: { field: string; problem: string }[]): boolean;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

interface Row {
  field: Exclude<Field, { type: 'label' }>;
  read(): unknown;
  file?: () => File | undefined;
  warn: HTMLElement;
  inputs: HTMLElement[];
}

/** Renders a website's form definition: every field type, labelled, with its own warning line. */
export function renderForm(fields: readonly Field[], prefill: Record<string, string | undefined> = {}): RenderedForm {
  const el = h('fieldset', { class: 'sb-form' });
  const rows: Row[] = [];
  for (const f of fields) {
    if (f.type === 'label') {
      el.append(h('p', { class: 'sb-label-text' }, txt(f.text)));
      continue;
    }
    const id = uid(`f-${f.name}`);
    const warnId = `${id}-warn`;
    const warn = h('p', { class: 'sb-warn', id: warnId, hidden: true });
    const common = { id, name: f.name, 'aria-describedby': warnId, required: f.required || null };
    const label = h('label', { for: id }, txt(f.label), f.required ? h('span', { 'aria-hidden': 'true' }, ' *') : null);
    let row: Row;
    switch (f.type) {
      case 'text':
      case 'email':
      case 'number': {
        const input = h('input', { ...common, type: f.type, value: prefill[f.name] ?? '', maxlength: f.type === 'text' ? f.maxLength : null, autocomplete: f.name === 'name' ? 'name' : f.type === 'email' ? 'email' : null });
        row = { field: f, inputs: [input], warn, read: () => input.value.trim() };
        el.append(h('div', { class: 'sb-field' }, label, input, warn));
        break;
      }
      case 'textarea': {
        const input = h('textarea', { ...common, rows: 3, maxlength: f.maxLength });
        input.value = prefill[f.name] ?? '';
        row = { field: f, inputs: [input], warn, read: () => input.value.trim() };
        el.append(h('div', { class: 'sb-field' }, label, input, warn));
        break;
      }
      case 'select': {
        const input = h('select', common, h('option', { value: '' }, '—'), ...f.options.map((o) => h('option', { value: o.value }, txt(o.label))));
        row = { field: f, inputs: [input], warn, read: () => input.value };
        el.append(h('div', { class: 'sb-field' }, label, input, warn));
        break;
      }
      case 'radio':
      case 'checkboxes': {
        const kind = f.type === 'radio' ? 'radio' : 'checkbox';
        const boxes = f.options.map((o) => h('input', { type: kind, name: id, value: o.value, id: uid(id) }));
        const group = h(
          'fieldset',
          { class: 'sb-field sb-group', 'aria-describedby': warnId },
          h('legend', {}, txt(f.label), f.required ? ' *' : ''),
          ...boxes.map((b, n) => h('label', { class: 'sb-choice', for: b.id }, b, ' ', txt(f.options[n]!.label))),
          warn,
        );
        row = { field: f, inputs: boxes, warn, read: () => (kind === 'radio' ? (boxes.find((b) => b.checked)?.value ?? '') : boxes.filter((b) => b.checked).map((b) => b.value)) };
        el.append(group);
        break;
      }
      case 'agreement': {
        const box = h('input', { ...common, type: 'checkbox' });
        row = { field: f, inputs: [box], warn, read: () => box.checked };
        el.append(h('div', { class: 'sb-field' }, h('label', { class: 'sb-choice', for: id }, box, ' ', txt(f.text), f.required ? ' *' : ''), warn));
        break;
      }
      case 'attachment': {
        const input = h('input', { ...common, type: 'file', accept: f.acceptedTypes.join(',') });
        row = {
          field: f,
          inputs: [input],
          warn,
          file: () => input.files?.[0],
          read: () => {
            const file = input.files?.[0];
            return file ? { fileName: file.name, size: file.size } : '';
          },
        };
        el.append(h('div', { class: 'sb-field' }, label, input, warn));
        break;
      }
    }
    rows.push(row);
  }

  const setWarn = (r: Row, text: string | null) => {
    r.warn.textContent = text ?? '';
    r.warn.hidden = !text;
    for (const i of r.inputs) i.setAttribute('aria-invalid', text ? 'true' : 'false');
  };

  return {
    el,
    collect() {
      const out: Record<string, unknown> = {};
      let firstBad: Row | null = null;
      for (const r of rows) {
        const v = r.read();
        const f = r.field;
        const empty = v === '' || v === false || (Array.isArray(v) && v.length === 0);
        let problem: string | null = null;
        if (empty) problem = f.required ? (f.type === 'agreement' ? t('requiredAgreement') : t('required')) : null;
        else if (f.type === 'email' && !EMAIL.test(String(v))) problem = t('invalidEmail');
        else if (f.type === 'number' && !/^-?\d+(\.\d+)?$/.test(String(v))) problem = t('invalidNumber');
        else if (f.type === 'attachment') {
          const a = v as { fileName: string; size: number };
          const ext = (/\.[A-Za-z0-9]+$/.exec(a.fileName)?.[0] ?? '').toLowerCase();
          if (!f.acceptedTypes.includes(ext)) problem = t('badType', { name: a.fileName, types: f.acceptedTypes.join(', ') });
          else if (a.size > f.maxBytes) problem = t('tooBig', { name: a.fileName, max: `${Math.round(f.maxBytes / 1048576)} MB` });
        }
        setWarn(r, problem);
        if (problem) firstBad ??= r;
        else if (!empty) out[f.name] = f.type === 'number' ? Number(v) : v;
      }
      if (firstBad) {
        firstBad.inputs[0]?.focus();
        return null;
      }
      return out;
    },
    files() {
      const out: Record<string, File> = {};
      for (const r of rows) {
        const f = r.file?.();
        if (f) out[r.field.name] = f;
      }
      return out;
    },
    showProblems(problems) {
      let shown = false;
      for (const p of problems) {
        const r = rows.find((x) => p.field === `fields.${x.field.name}`);
        if (!r) continue;
        setWarn(r, `${txt(r.field.label)}: ${p.problem}`);
        shown = true;
      }
      return shown;
    },
  };
}
