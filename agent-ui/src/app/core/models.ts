import type { AgentStatusPayload } from '@switchboard/protocol';

export type { AgentStatusPayload, AgentStateName } from '@switchboard/protocol';

/** The agent as the server presents it (server/src/modules/agents/presenter.ts). */
export interface AgentProfile {
  id: string;
  username: string;
  name: string;
  email: string | null;
  role: 'agent' | 'supervisor' | 'admin';
  extension: string | null;
  skills: { skill: string; level: number }[];
}

export interface Me {
  agent: AgentProfile;
  status: AgentStatusPayload;
  /** e.g. 'transcript.attachments'; absent from servers that predate permissions. */
  permissions?: string[];
}

export interface Labelled {
  id: string;
  label: string;
}

export interface Reasons {
  notReady: Labelled[];
  dispositions: Labelled[];
}
