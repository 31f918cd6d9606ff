/**
 * What the reports routes answer (GET /api/reports/*): times in seconds, null when nothing was
 * measured. The server computes them; the desktop charts them.
 */

/** Figures of one group of interactions. */
export interface InteractionFigures {
  offered: number;
  answered: number;
  abandoned: number;
  unmanaged: number;
  transferred: number;
  answeredWithinThreshold: number;
  /** answeredWithinThreshold / offered, 0–1; null with nothing offered. */
  serviceLevel: number | null;
  timeToAnswerAvg: number | null;
  timeToAnswerP90: number | null;
  handleTimeAvg: number | null;
  handleTimeP90: number | null;
  wrapUpAvg: number | null;
  wrapUpP90: number | null;
  abandonedAfterAvg: number | null;
  abandonedAfterP90: number | null;
  /** Chats and mail only. */
  firstResponseAvg: number | null;
  firstResponseP90: number | null;
  resolutionAvg: number | null;
  resolutionP90: number | null;
  /** Customer ratings (1–5) given: how many, their average, and the share of 4 and 5. */
  rated: number;
  csatAvg: number | null;
  csatSatisfied: number | null;
}

export interface InteractionReportGroup extends InteractionFigures {
  key: string;
  name: string;
}

export interface InteractionSeriesPoint extends InteractionFigures {
  /** ISO start of the hour or (UTC) day. */
  at: string;
}

export interface InteractionReport {
  from: string;
  to: string;
  groups: InteractionReportGroup[];
  total: InteractionFigures;
  series?: InteractionSeriesPoint[];
}

/**
 * GET /api/reports/interactions/distribution: how long the answered interactions waited, as a
 * histogram. Each bin holds the waits up to `upTo` seconds (and over the bin before it); the last,
 * `upTo: null`, holds the longer ones.
 */
export interface AnswerDistribution {
  from: string;
  to: string;
  bins: { upTo: number | null; count: number }[];
}

/** Seconds an agent spent in each state over the period (logged out not counted). */
export interface AgentStateFigures {
  agentId: string;
  name: string;
  loggedIn: number;
  available: number;
  busy: number;
  wrapUp: number;
  rona: number;
  notReady: number;
  /** Not ready seconds per reason id ('' for no reason given). */
  notReadyByReason: Record<string, number>;
  /** (busy + wrap-up) / (available + busy + wrap-up), 0–1; null when none of these was seen. */
  occupancy: number | null;
}

export interface AgentReport {
  from: string;
  to: string;
  agents: AgentStateFigures[];
}

export interface CallbackFigures {
  requested: number;
  /** An attempt was answered: the first one, or a later one. */
  reachedFirstAttempt: number;
  reachedAfterRetries: number;
  /** Every attempt made and nobody answered. */
  unreached: number;
  failed: number;
  cancelled: number;
  /** Not finished yet: scheduled, waiting for an agent or dialling. */
  pending: number;
}

export interface CallbackReportGroup extends CallbackFigures {
  /** The queue's id, and its name. */
  key: string;
  name: string;
}

export interface CallbackReport {
  from: string;
  to: string;
  groups: CallbackReportGroup[];
  total: CallbackFigures;
}
