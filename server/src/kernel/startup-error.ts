/** A failure to start that the administrator can fix; the message says what and where. */
export class StartupError extends Error {}
