import type { ChatAttachmentPayload } from '@switchboard/protocol';

/** A file picked for the next line: reviewed (and removable) before anything is uploaded. */
export interface PendingFile {
  key: number;
  file: File;
  state: 'ready' | 'uploading' | 'done' | 'failed';
  /** 0…1 while uploading. */
  progress: number;
  error: string | null;
  uploaded: ChatAttachmentPayload | null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
