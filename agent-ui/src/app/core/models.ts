// The agent API's answers the desktop reads, as the protocol defines them for server and desktop.
export type { AgentProfile, AgentStatusPayload, AgentStateName, Labelled, Me, Reasons } from '@switchboard/protocol';
