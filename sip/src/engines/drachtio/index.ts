export { DrachtioEngine, type DrachtioEngineOptions, type DrachtioEngineEvents } from './engine.js';
export { DrachtioDialog } from './dialog.js';
export type { DrachtioAddress, DrachtioLinkState } from './connection.js';
export { renderDrachtioConfig, type DrachtioServerConfig } from './server-config.js';
