import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, effect, inject, input, viewChild } from '@angular/core';
import type { Chart, ChartConfiguration } from 'chart.js';

/** Chart.js is loaded with the first chart drawn: no other section of the desktop downloads it. */
let library: Promise<typeof import('chart.js/auto')> | null = null;
const load = () => (library ??= import('chart.js/auto'));

/**
 * A Chart.js chart on a canvas, redrawn when its configuration changes. The table beside each
 * chart carries the same figures for screen readers, so the canvas is presentational.
 */
@Component({
  selector: 'sb-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<canvas #canvas role="img" [attr.aria-label]="label()"></canvas>`,
  styles: `:host { display: block; position: relative; height: 260px; }`,
})
export class ChartView {
  readonly config = input.required<ChartConfiguration>();
  readonly label = input('');
  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('canvas');
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private chart: Chart | null = null;
  private drawn = 0;

  constructor() {
    effect(() => {
      const config = this.config();
      const canvas = this.canvas().nativeElement;
      const turn = ++this.drawn;
      void load().then(({ default: ChartJs }) => {
        if (turn !== this.drawn) return;
        this.chart?.destroy();
        this.chart = new ChartJs(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } });
        this.host.nativeElement.dataset['ready'] = String(turn);
      });
    });
    inject(DestroyRef).onDestroy(() => {
      this.drawn = -1;
      this.chart?.destroy();
    });
  }
}
