import { DOCUMENT, Injectable, inject, signal } from '@angular/core';

const STORAGE_KEY = 'sb.sound';

/**
 * The audio notification of a new offer: a short two-tone chime synthesised with Web Audio, so
 * there is no file to fetch and nothing for the CSP to allow. The agent can turn it off (kept
 * in this browser). Browsers start audio only after a user gesture; the context is unlocked on
 * the first click or key press, which logging in always provides.
 */
@Injectable({ providedIn: 'root' })
export class Notifier {
  readonly sound = signal(readSetting());
  /** How many chimes were played (for tests and the benchmark). */
  readonly played = signal(0);
  private ctx: AudioContext | null = null;

  constructor() {
    const unlock = () => void this.context()?.resume().catch(() => undefined);
    const doc = inject(DOCUMENT);
    doc.addEventListener('pointerdown', unlock, { capture: true });
    doc.addEventListener('keydown', unlock, { capture: true });
  }

  setSound(on: boolean): void {
    this.sound.set(on);
    try {
      localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
    } catch {
      // Storage blocked: the choice lasts for this page.
    }
  }

  offer(): void {
    if (!this.sound()) return;
    const ctx = this.context();
    if (!ctx) return;
    const t = ctx.currentTime;
    for (const [i, freq] of [880, 1175].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.25, t + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.18 + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t + i * 0.18);
      osc.stop(t + i * 0.18 + 0.17);
    }
    this.played.update((n) => n + 1);
  }

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    try {
      this.ctx = new AudioContext();
    } catch {
      return null;
    }
    return this.ctx;
  }
}

function readSetting(): boolean {
  try {
    return localStorage.getItem(STORAGE_KEY) !== 'off';
  } catch {
    return true;
  }
}
