import { DOCUMENT, Injectable, inject, signal } from '@angular/core';
import type { MessageKey } from './i18n/en';

export interface Shortcut {
  /** e.g. "Alt+A", "Shift+?", "Escape"; letters are matched case-insensitively. */
  keys: string;
  /** Shown in the shortcuts list. */
  label: MessageKey;
  run: () => void;
}

interface Combo {
  key: string;
  alt: boolean;
  ctrl: boolean;
  meta: boolean;
  shift: boolean;
}

export function parseCombo(keys: string): Combo {
  const parts = keys.split('+');
  const key = parts.pop()!.toLowerCase();
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  return { key, alt: mods.has('alt'), ctrl: mods.has('ctrl'), meta: mods.has('meta'), shift: mods.has('shift') };
}

export function matches(combo: Combo, e: KeyboardEvent): boolean {
  // With Alt on macOS `key` is a symbol (Alt+A gives "å"), so letters and digits go by `code`.
  const code = e.code.startsWith('Key') ? e.code.slice(3).toLowerCase() : e.code.startsWith('Digit') ? e.code.slice(5) : null;
  const key = combo.key.length === 1 && /[a-z0-9]/.test(combo.key) && code ? code : e.key.toLowerCase();
  return key === combo.key && e.altKey === combo.alt && e.ctrlKey === combo.ctrl && e.metaKey === combo.meta && (combo.key === '?' || e.shiftKey === combo.shift);
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/**
 * Desktop-wide keyboard shortcuts. Features register theirs while they are on screen (the
 * returned function removes them). Plain keys do not fire while the agent types in a field;
 * combinations with Alt/Ctrl/Meta do, since they cannot be typed text.
 */
@Injectable({ providedIn: 'root' })
export class Shortcuts {
  private readonly list = signal<(Shortcut & { combo: Combo })[]>([]);
  readonly registered = this.list.asReadonly();

  constructor() {
    inject(DOCUMENT).addEventListener('keydown', (e) => this.handle(e));
  }

  register(...shortcuts: Shortcut[]): () => void {
    const added = shortcuts.map((s) => ({ ...s, combo: parseCombo(s.keys) }));
    this.list.update((l) => [...l, ...added]);
    return () => this.list.update((l) => l.filter((s) => !added.includes(s)));
  }

  handle(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.repeat) return;
    const typing = isTyping(e.target);
    // Latest registration wins, so a dialog's Escape beats the shell's.
    for (const s of [...this.list()].reverse()) {
      const c = s.combo;
      if (typing && !(c.alt || c.ctrl || c.meta)) continue;
      if (matches(c, e)) {
        e.preventDefault();
        s.run();
        return;
      }
    }
  }
}
