/** What the visitor and the agent quote: a channel prefix and the start of the record's id. */
export const reference = (prefix: string, id: string) => `${prefix}-${id.slice(0, 8).toUpperCase()}`;
