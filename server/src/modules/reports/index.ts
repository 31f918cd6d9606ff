export { createReports } from './module.js';
export { ReportsService } from './service.js';
export { rebuildReports } from './rebuild-command.js';
