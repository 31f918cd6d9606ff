// What a call carries about its interaction to the PBX (as X- headers) and to the agent desktop.

/** The interaction a call belongs to, as the PBX and the agent desktop see it. */
export interface InteractionContext {
  interactionId: string;
  website?: string;
  name?: string;
  email?: string;
  phone?: string;
  queue?: string;
  fields?: Record<string, string>;
}

export interface ContextHeaderNames {
  interactionId: string;
  website: string;
  name: string;
  email: string;
  phone: string;
  queue: string;
  /** Each form field `f` goes out as `<fieldPrefix><f>`. */
  fieldPrefix: string;
}

export const DEFAULT_CONTEXT_HEADERS: ContextHeaderNames = {
  interactionId: 'X-Interaction-Id',
  website: 'X-Website',
  name: 'X-Customer-Name',
  email: 'X-Customer-Email',
  phone: 'X-Customer-Phone',
  queue: 'X-Queue',
  fieldPrefix: 'X-Form-',
};
