// Files for the next chat line: picked, checked against the website's limits, reviewed (and
// removed) before sending, uploaded with progress and a cancel button when the line goes out.
import type { ApiErrorBody, FileStored } from '@switchboard/protocol';
import { h, clear, formatBytes } from './dom';
import { t } from './i18n';
import { apiBase } from './api';
import type { App } from './app';

interface Pending {
  file: File;
  row: HTMLLIElement;
}

export class Uploads {
  readonly el = h('ul', { class: 'sb-pending', 'aria-label': t('attach') });
  readonly button: HTMLElement;
  private readonly picker: HTMLInputElement;
  private pending: Pending[] = [];

  constructor(
    private readonly app: App,
    private readonly session: () => { interactionId: string; token: string } | null,
  ) {
    const u = app.config.uploads;
    this.picker = h('input', { type: 'file', multiple: true, accept: u.acceptedTypes.join(','), class: 'sb-picker', 'aria-label': t('attach'), tabindex: '-1' });
    this.picker.addEventListener('change', () => {
      this.add([...(this.picker.files ?? [])]);
      this.picker.value = '';
    });
    this.button = h('span', { class: 'sb-attach-wrap' }, this.picker, h('button', { type: 'button', class: 'sb-icon sb-attach', 'aria-label': t('attach'), title: t('attach'), onclick: () => this.picker.click() }, '\u{1F4CE}'));
    this.el.hidden = true;
  }

  get count(): number {
    return this.pending.length;
  }

  /** Checks each file; what breaks a limit is refused with an alert naming the file and the limit. */
  add(files: File[]): void {
    const u = this.app.config.uploads;
    const problems: string[] = [];
    for (const file of files) {
      const ext = (/\.[A-Za-z0-9]+$/.exec(file.name)?.[0] ?? '').toLowerCase();
      if (!u.acceptedTypes.includes(ext)) problems.push(t('badType', { name: file.name, types: u.acceptedTypes.join(', ') }));
      else if (file.size > u.maxFileBytes) problems.push(t('tooBig', { name: file.name, max: formatBytes(u.maxFileBytes) }));
      else if (this.pending.length >= u.maxFiles) problems.push(t('tooMany', { n: u.maxFiles }));
      else {
        const row = h('li', { class: 'sb-pending-file' }, h('span', {}, `${file.name} (${formatBytes(file.size)})`));
        const p: Pending = { file, row };
        row.append(h('button', { type: 'button', class: 'sb-remove', 'aria-label': `${t('remove')} ${file.name}`, onclick: () => this.remove(p) }, '\u2715'));
        this.pending.push(p);
        this.el.append(row);
      }
    }
    this.el.hidden = !this.pending.length;
    this.app.shell.error(problems.length ? [...new Set(problems)].join(' ') : null);
  }

  private remove(p: Pending): void {
    this.pending = this.pending.filter((x) => x !== p);
    p.row.remove();
    this.el.hidden = !this.pending.length;
  }

  /** Uploads every pending file in turn; rejects if the visitor cancels or one fails. */
  async uploadAll(): Promise<string[]> {
    const ids: string[] = [];
    for (const p of [...this.pending]) {
      ids.push(await this.upload(p));
      this.remove(p);
    }
    return ids;
  }

  private upload(p: Pending): Promise<string> {
    const s = this.session();
    if (!s) return Promise.reject(new Error('no chat'));
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const bar = h('progress', { max: 100, value: 0, 'aria-label': t('uploading', { name: p.file.name }) });
      const cancel = h('button', { type: 'button', class: 'sb-cancel', onclick: () => xhr.abort() }, t('cancel'));
      const extra = h('span', { class: 'sb-progress' }, bar, cancel);
      p.row.append(extra);
      const done = () => extra.remove();
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      };
      xhr.onload = () => {
        done();
        if (xhr.status === 201) {
          this.app.shell.succeeded('upload');
          return resolve((JSON.parse(xhr.responseText) as FileStored).file.id);
        }
        let msg = t('serverError');
        try {
          msg = (JSON.parse(xhr.responseText) as ApiErrorBody).error.message;
        } catch {
          // keep the generic text
        }
        this.app.shell.error(msg, undefined, 'upload');
        reject(new Error(msg));
      };
      xhr.onerror = () => {
        done();
        this.app.shell.error(t('networkError'), undefined, 'upload');
        reject(new Error('network'));
      };
      xhr.onabort = () => {
        done();
        reject(new Error('cancelled'));
      };
      xhr.open('POST', `${apiBase}/chats/${s.interactionId}/files?name=${encodeURIComponent(p.file.name)}`);
      xhr.setRequestHeader('authorization', `Bearer ${s.token}`);
      xhr.setRequestHeader('content-type', p.file.type || 'application/octet-stream');
      xhr.send(p.file);
    });
  }

  reset(): void {
    this.pending = [];
    clear(this.el);
    this.el.hidden = true;
  }
}
