import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn, type ColumnOptions } from 'typeorm';

// Column helpers keep types explicit (no reliance on reflected metadata) and identical everywhere.
export const IdPrimary = () => PrimaryColumn({ type: 'char', length: 32 });
export const ConfigIdPrimary = () => PrimaryColumn({ type: 'varchar', length: 63 });
export const IdColumn = (o: ColumnOptions = {}) => Column({ type: 'char', length: 32, ...o });
export const ConfigIdColumn = (o: ColumnOptions = {}) => Column({ type: 'varchar', length: 63, ...o });
export const Time = (o: ColumnOptions = {}) => Column({ type: 'datetime', precision: 3, ...o });
export const Created = () => CreateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' });
export const Updated = () => UpdateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' });
export const Json = (o: ColumnOptions = {}) => Column({ type: 'json', ...o });
