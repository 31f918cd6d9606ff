export { reportsModule } from './module.js';
export { ReportsService } from './service.js';
