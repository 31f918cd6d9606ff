/** The widget's WebSocket protocol (/ws/widget?website=<id>). */
export type WidgetCommand = { type: 'ping'; ref?: string };

export type WidgetServerMessage =
  | { type: 'hello'; website: string }
  | { type: 'pong'; ref?: string }
  | { type: 'error'; code: string; message: string; ref?: string };
