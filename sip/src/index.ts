export * from './message.js';
export * from './sdp.js';
export * from './transport/types.js';
export { Transports } from './transport/transports.js';
export { DEFAULT_TIMERS, type TimerConfig, type TransactionEvent, type TransactionObserver } from './transaction/transactions.js';
export * from './auth/digest.js';
export * from './request.js';
export * from './dialog/dialog.js';
export * from './engine.js';
export type { UacOptions, B2buaOptions } from './engine-api.js';
export { cancelFor, pendingInvite, type PendingInvite } from './pending-invite.js';
export * from './media/relay.js';
export * from './call/recorder.js';
export * from './call/call-session.js';
export * from './call/call-control.js';
export * from './call/live-calls.js';
export type { OriginateRequest, OriginateLegA, TrunkRoute } from './call/originate.js';
export { CustomerFirstCall, type CustomerFirstRequest, type AgentLegRequest, type AgentLegResult, type CustomerAnswer } from './call/customer-first.js';
export { Registrar, type Binding } from './call/registrar.js';
export { digestAuth, type Authenticator, type AuthLookup, type AuthMiddlewareOptions } from './auth/middleware.js';
export { floodLimit, type FloodLimitOptions } from './auth/flood.js';
export { TrunkMonitor, type TrunkStatus, type TrunkMonitorEvents } from './call/trunk-monitor.js';
export { startSipService, type SipService, type SipServiceOptions } from './service.js';
export {
  DrachtioEngine, DrachtioDialog, renderDrachtioConfig,
  type DrachtioEngineOptions, type DrachtioEngineEvents, type DrachtioAddress, type DrachtioLinkState, type DrachtioServerConfig,
} from './engines/drachtio/index.js';
