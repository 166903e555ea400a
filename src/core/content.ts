import { ZapValidationError } from './errors';
import type { ContentPart, ImageContentPart, MessageContent, TextContentPart } from './messages';

/** Image types accepted in `taskContent` (what OpenAI-compatible vision models take). */
export const ALLOWED_IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/** One of {@link ALLOWED_IMAGE_MIME_TYPES}. */
export type ImageMimeType = (typeof ALLOWED_IMAGE_MIME_TYPES)[number];

/** Level of detail the model should look at an image with. */
export type ImageDetail = 'auto' | 'low' | 'high';

/** A text part. */
export function textPart(text: string): TextContentPart {
  return { type: 'text', text };
}

/**
 * An image the model fetches by URL (`https://…`). Preferred for large images: only the URL
 * travels through Temporal.
 */
export function imageFromUrl(url: string, options: { detail?: ImageDetail } = {}): ImageContentPart {
  const part: ImageContentPart = { type: 'image_url', image_url: { url, ...(options.detail ? { detail: options.detail } : {}) } };
  validateImagePart(part);
  return part;
}

/** An inline image as a base64 data URI. Counts against the task content size limit. */
export function imageFromBase64(
  data: string | Uint8Array,
  mimeType: ImageMimeType,
  options: { detail?: ImageDetail } = {},
): ImageContentPart {
  const base64 = typeof data === 'string' ? data : bytesToBase64(data);
  return imageFromUrl(`data:${mimeType};base64,${base64}`, options);
}

/** True when the content has at least one image part. */
export function hasImages(content: MessageContent): boolean {
  return typeof content !== 'string' && content.some((part) => part.type === 'image_url');
}

/** Checks every image part: http(s) URL, or a base64 data URI of an allowed image type. */
export function validateContentParts(parts: readonly ContentPart[]): void {
  for (const part of parts) if (part.type === 'image_url') validateImagePart(part);
}

function validateImagePart(part: ImageContentPart): void {
  const url = part.image_url.url;
  if (url.startsWith('data:')) {
    const match = /^data:([^;,]+);base64,/.exec(url);
    if (!match) {
      throw new ZapValidationError({ message: 'An inline image must be a base64 data URI (data:<type>;base64,…).' });
    }
    const mimeType = match[1] as string;
    if (!(ALLOWED_IMAGE_MIME_TYPES as readonly string[]).includes(mimeType)) {
      throw new ZapValidationError({
        message: `Image type '${mimeType}' is not allowed; use one of ${ALLOWED_IMAGE_MIME_TYPES.join(', ')}.`,
      });
    }
    return;
  }
  if (!/^https?:\/\//i.test(url)) {
    throw new ZapValidationError({ message: `Image URL '${url.slice(0, 80)}' must be http(s) or a base64 data URI.` });
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
