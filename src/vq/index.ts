/**
 * `nsvq-codec/vq`: the trainable vector quantizers (TensorFlow.js), all with the
 * `VectorQuantizer` call shape (docs/vq.md), plus codebook replacement, usage statistics and
 * the exact search kernel with its worker pool.
 */
export type { VectorQuantizer, ForwardOptions, ForwardResult, HardQuantization, QuantizerKind } from './types.js';
export { NSVQ, type NSVQOptions, noiseSubstitution } from './nsvq.js';
export {
  MultiStageNSVQ, type MultiStageNSVQOptions, type MultiStageForwardOptions, type MultiStageForwardResult,
  type MultiStageQuantization, sequentialSearch, mBestSearch, reconstruct,
} from './msvq.js';
export { STE, type STEOptions } from './ste.js';
export { EMA, type EMAOptions } from './ema.js';
export { MiniBatchKMeans, type MiniBatchKMeansOptions } from './minibatch-kmeans.js';
export { DiVeQ, type DiVeQOptions, diveq, diveqError } from './diveq.js';
export { SFDiVeQ, type SFDiVeQOptions, sfDiveq, ditheredPoints, nearestOnSegments, type SegmentProjection } from './sf-diveq.js';
export { RotationTrick, type RotationTrickOptions, rotateTo } from './rotation.js';
export {
  CodebookReplacer, ReplacementSchedule, replaceDeadCodewords, REPLACEMENT_DEFAULTS,
  type ReplacementOptions, type ReplacementReport,
} from './replacement.js';
export { CodebookUsage, perplexityOf, usageCounts } from './usage.js';
export { trainStep, type StepResult } from './fit.js';
export { nearestCodewords, nearestCodewordsNaive, codewordNorms } from './search.js';
export { SearchPool, nearestCodewordsParallel } from './search-pool.js';
export { initTfBackend, describeBackend, type BackendChoice, type BackendInfo } from './tf-backend.js';
