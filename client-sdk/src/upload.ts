/**
 * File uploads over REST: `POST /api/v1/projects/{id}/files?name=NAME`
 * with the raw bytes as the body. In browsers XMLHttpRequest reports the
 * upload's progress; elsewhere fetch sends it, with progress at the start
 * and at the end.
 */

import { ClientCodes, clientError, timeoutError } from "./errors.js";
import type { Language } from "./messages.js";
import { HttpFailure, errorFromBody, type Rest } from "./rest.js";
import type { FileRecord } from "./types.js";

export type UploadData = Blob | ArrayBuffer | ArrayBufferView;

export interface UploadProgress {
  /** Bytes sent so far. */
  loaded: number;
  /** Bytes in all. */
  total: number;
}

export interface UploadOptions {
  /** The file's name; by default a File's own. The server decides the type from the bytes, not the name. */
  name?: string;
  /** Sent as Content-Type; by default the Blob's type, else application/octet-stream. */
  contentType?: string;
  onProgress?: (progress: UploadProgress) => void;
  /** Cancels the upload; the promise rejects with `client.aborted`. */
  signal?: AbortSignal;
}

interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob | Uint8Array<ArrayBuffer>): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  upload?: { onprogress: ((event: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  ontimeout: (() => void) | null;
}

type XhrConstructor = new () => XhrLike;

export async function uploadFile(rest: Rest, projectId: string, data: UploadData, options: UploadOptions = {}): Promise<FileRecord> {
  const name = options.name ?? (data as { name?: unknown }).name;
  if (typeof name !== "string" || name === "") {
    throw new TypeError("uploadFile: give the file's name (options.name), or pass a File.");
  }
  const body = data instanceof Blob ? data : toBytes(data);
  const total = body instanceof Blob ? body.size : body.byteLength;
  const contentType = options.contentType
    || (body instanceof Blob && body.type ? body.type : "application/octet-stream");
  const path = `/projects/${encodeURIComponent(projectId)}/files?name=${encodeURIComponent(name)}`;
  const progress = options.onProgress ?? (() => undefined);
  const Xhr = (globalThis as { XMLHttpRequest?: XhrConstructor }).XMLHttpRequest;

  if (Xhr) {
    return rest.withToken((headers) => sendWithXhr(Xhr, rest.url(path), body, total,
      { ...headers, "Content-Type": contentType }, progress, options.signal, rest.language));
  }
  progress({ loaded: 0, total });
  const response = await rest.fetch({
    method: "POST", path, body, headers: { "Content-Type": contentType }, unbounded: true, signal: options.signal,
  });
  const record = (await response.json()) as FileRecord;
  progress({ loaded: total, total });
  return record;
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Bytes in shared memory are copied: request bodies take plain ArrayBuffers only.
  return view.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : new Uint8Array(view);
}

function sendWithXhr(
  Xhr: XhrConstructor,
  url: string,
  body: Blob | Uint8Array<ArrayBuffer>,
  total: number,
  headers: Record<string, string>,
  progress: (progress: UploadProgress) => void,
  signal: AbortSignal | undefined,
  lang: Language,
): Promise<FileRecord | HttpFailure> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    const cancel = (): void => xhr.abort();
    const finish = (): void => signal?.removeEventListener("abort", cancel);
    xhr.open("POST", url);
    for (const [key, value] of Object.entries(headers)) xhr.setRequestHeader(key, value);
    if (xhr.upload) {
      xhr.upload.onprogress = (event) => progress({ loaded: event.loaded, total: event.lengthComputable ? event.total : total });
    }
    xhr.onload = () => {
      finish();
      if (xhr.status < 200 || xhr.status >= 300) {
        resolve(new HttpFailure(errorFromBody(xhr.status, xhr.responseText, lang)));
        return;
      }
      try {
        const record = JSON.parse(xhr.responseText) as FileRecord;
        progress({ loaded: total, total });
        resolve(record);
      } catch {
        reject(clientError(lang, ClientCodes.badResponse, { request: "upload", status: xhr.status }, xhr.status));
      }
    };
    xhr.onerror = () => {
      finish();
      reject(clientError(lang, ClientCodes.network, { request: "upload" }));
    };
    xhr.onabort = () => {
      finish();
      reject(clientError(lang, ClientCodes.aborted, { request: "upload" }));
    };
    xhr.ontimeout = () => {
      finish();
      reject(timeoutError(lang, "upload"));
    };
    if (signal?.aborted) {
      reject(clientError(lang, ClientCodes.aborted, { request: "upload" }));
      return;
    }
    signal?.addEventListener("abort", cancel);
    progress({ loaded: 0, total });
    xhr.send(body);
  });
}
