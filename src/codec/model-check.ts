/**
 * The decoder's check that a stream was made with the loaded model. Its own module so that
 * `decode` can use it without loading the encoder (issue 15: start-up).
 */
import { UserError } from '../errors.js';
import type { CodecModel } from '../model/model-format.js';
import type { StreamHeader } from '../coding/container.js';

/** The error for a stream made with another model: names the model needed. */
export function checkModelMatches(header: StreamHeader, model: CodecModel): void {
  if (header.modelId !== model.id) {
    throw new UserError(
      `this stream needs model ${header.modelId}, but the loaded model is ${model.id}; pass --model with the model directory that encoded it`,
    );
  }
}
