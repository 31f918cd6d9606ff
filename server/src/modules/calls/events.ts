/** A call's steps, heard on the instance that carries the call (EventBus.emitLocal). */
export type CallBusEvent = {
  type: 'call.event';
  event: 'ringing' | 'answered' | 'held' | 'resumed' | 'ended';
  callId: string;
  interactionId: string | null;
  at: string;
  cause?: string;
  description?: string;
};

declare module '../../kernel/bus.js' {
  interface BusEvents {
    calls: CallBusEvent;
  }
}
