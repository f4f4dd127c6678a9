/** An HTTP answer whose body was read up to a byte cap. */
export interface CappedAnswer {
  status: number;
  /** the body, or its first `maxBytes` when it was longer */
  text: string;
  /** the body (or its declared Content-Length) was longer than the cap */
  overLimit: boolean;
}

export interface CappedGetOptions {
  headers: Record<string, string>;
  /** for the whole exchange, body included */
  timeoutMs: number;
  maxBytes: number;
}

/**
 * A GET that reads the answer as a stream and stops once it passes `maxBytes`, cancelling the
 * rest, so a misbehaving server or proxy cannot make us buffer an unbounded answer. It exists
 * because the registry library's HTTP client (mappersmith) buffers whole bodies; see
 * docs/decisions/0001-registry-client.md. Rejects only when no answer came.
 */
export async function cappedGet(url: string, options: CappedGetOptions): Promise<CappedAnswer> {
  const response = await fetch(url, { headers: options.headers, signal: AbortSignal.timeout(options.timeoutMs) });
  const { status } = response;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { status, text: '', overLimit: true };
  }
  if (response.body === null) return { status, text: '', overLimit: false };
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > options.maxBytes) {
      chunks.push(value.subarray(0, options.maxBytes - total));
      await reader.cancel().catch(() => undefined);
      return { status, text: Buffer.concat(chunks).toString('utf8'), overLimit: true };
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return { status, text: Buffer.concat(chunks).toString('utf8'), overLimit: false };
}
