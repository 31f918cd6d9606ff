import { TestBed } from '@angular/core/testing';
import { Shortcuts } from './shortcuts';

function press(target: EventTarget, init: KeyboardEventInit): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}

describe('Shortcuts', () => {
  let shortcuts: Shortcuts;
  let input: HTMLInputElement;
  beforeEach(() => {
    shortcuts = TestBed.inject(Shortcuts);
    input = document.body.appendChild(document.createElement('input'));
  });
  afterEach(() => input.remove());

  it('runs a registered combination and stops after it is removed', () => {
    let runs = 0;
    const off = shortcuts.register({ keys: 'Alt+A', label: 'shortcuts.available', run: () => runs++ });
    const e = press(document.body, { key: 'å', code: 'KeyA', altKey: true });
    expect(runs).toBe(1);
    expect(e.defaultPrevented).toBe(true);
    press(document.body, { key: 'a', code: 'KeyA' });
    expect(runs).toBe(1);
    off();
    press(document.body, { key: 'a', code: 'KeyA', altKey: true });
    expect(runs).toBe(1);
  });

  it('leaves plain keys to a field being typed in, but not Alt combinations', () => {
    const seen: string[] = [];
    const off = shortcuts.register(
      { keys: 'Shift+?', label: 'shortcuts.help', run: () => seen.push('help') },
      { keys: 'Alt+N', label: 'shortcuts.notReady', run: () => seen.push('not-ready') },
    );
    press(input, { key: '?', shiftKey: true });
    press(input, { key: 'n', code: 'KeyN', altKey: true });
    press(document.body, { key: '?', shiftKey: true });
    expect(seen).toEqual(['not-ready', 'help']);
    off();
  });

  it('lets the latest registration win, so a dialog’s Escape beats the page’s', () => {
    const seen: string[] = [];
    const a = shortcuts.register({ keys: 'Escape', label: 'common.close', run: () => seen.push('page') });
    const b = shortcuts.register({ keys: 'Escape', label: 'common.close', run: () => seen.push('dialog') });
    press(document.body, { key: 'Escape' });
    b();
    press(document.body, { key: 'Escape' });
    a();
    expect(seen).toEqual(['dialog', 'page']);
    expect(shortcuts.registered()).toEqual([]);
  });
});
