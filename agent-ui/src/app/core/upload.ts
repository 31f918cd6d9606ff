import { Injectable, inject } from '@angular/core';
import type { ApiErrorBody, ChatAttachmentPayload, FileStored } from '@switchboard/protocol';
import { Api, ApiError } from './api';

export interface Upload {
  done: Promise<ChatAttachmentPayload>;
  /** Stops the transfer; `done` rejects with code `cancelled` and the server keeps nothing. */
  cancel(): void;
}

/**
 * Chat file uploads (POST /api/chats/:id/files?name=…, the file as the raw body). XMLHttpRequest
 * rather than HttpClient: the app's fetch backend reports no upload progress, and agents need it
 * for anything larger than a photo.
 */
@Injectable({ providedIn: 'root' })
export class ChatUploads {
  private readonly api = inject(Api);

  /**
   * Takes an uploaded, unsent file off the server: unsent files count against the website's files
   * per line, so one left there would block the next upload. Gone already is as good as removed.
   */
  async discard(interactionId: string, fileId: string): Promise<void> {
    await this.api.delete(`/api/chats/${encodeURIComponent(interactionId)}/files/${encodeURIComponent(fileId)}`).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    });
  }

  /** `channel`: where the file goes: a chat line (default) or a mail reply. */
  upload(interactionId: string, file: File, progress: (fraction: number) => void, channel: 'chats' | 'mail' = 'chats'): Upload {
    const xhr = new XMLHttpRequest();
    const done = new Promise<ChatAttachmentPayload>((resolve, reject) => {
      xhr.open('POST', `/api/${channel}/${encodeURIComponent(interactionId)}/files?name=${encodeURIComponent(file.name)}`);
      xhr.withCredentials = true;
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (e) => e.lengthComputable && progress(e.loaded / e.total);
      xhr.onload = () => {
        let body: Partial<FileStored> & { error?: Partial<ApiErrorBody['error']> } = {};
        try {
          body = JSON.parse(xhr.responseText || '{}') as typeof body;
        } catch {
          // A proxy's HTML error page: the status says enough.
        }
        if (xhr.status === 201 && body.file) {
          progress(1);
          resolve(body.file);
          return;
        }
        if (xhr.status === 401) this.api.onUnauthorized?.();
        reject(new ApiError(xhr.status, body.error?.code ?? 'http_' + xhr.status, body.error?.message ?? xhr.statusText, body.error?.fields));
      };
      xhr.onerror = () => reject(new ApiError(0, 'unreachable', 'The server cannot be reached.'));
      xhr.onabort = () => reject(new ApiError(0, 'cancelled', 'cancelled'));
      xhr.send(file);
    });
    return { done, cancel: () => xhr.abort() };
  }
}
