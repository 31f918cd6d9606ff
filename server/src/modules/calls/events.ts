/** A call's steps, announced on the bus so desktops, supervisors and routing hear them on every instance. */
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
