import { backoffDelay } from './agent-socket';

describe('backoffDelay', () => {
  it('doubles from about a second up to a 30 s ceiling', () => {
    const max = () => 1 - Number.EPSILON;
    expect([0, 1, 2, 3, 4, 5, 6, 12].map((n) => backoffDelay(n, max))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('spreads clients over the second half of the window, so a restart is not a stampede', () => {
    expect(backoffDelay(3, () => 0)).toBe(4000);
    expect(backoffDelay(3, () => 0.5)).toBe(6000);
  });
});
