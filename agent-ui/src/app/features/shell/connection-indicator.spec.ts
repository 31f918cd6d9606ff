import { TestBed } from '@angular/core/testing';
import { AgentSocket } from '../../core/agent-socket';
import { setUp, text } from '../../testing/helpers';
import { ConnectionIndicator } from './connection-indicator';

describe('ConnectionIndicator', () => {
  it('says when the connection is lost, when it retries, and offers to retry now', async () => {
    setUp();
    const socket = TestBed.inject(AgentSocket);
    const fixture = TestBed.createComponent(ConnectionIndicator);
    const el: HTMLElement = fixture.nativeElement;
    socket.state.set('online');
    await fixture.whenStable();
    expect(text(el)).toBe('Connected');

    socket.state.set('reconnecting');
    socket.retryAt.set(Date.now() + 4_500);
    await fixture.whenStable();
    expect(text(el)).toBe('Connection lost. Retrying in 5 s Retry now');
    expect(el.querySelector('[data-state=reconnecting]')).not.toBeNull();
  });
});
