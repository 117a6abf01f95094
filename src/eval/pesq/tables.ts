/**
 * Constants of ITU-T P.862 / P.862.2 at 16 kHz: the signal layout, the filters and the
 * Bark-band tables of the perceptual model. The numbers are the Recommendation's; they are
 * facts of the standard, so they are written here as published.
 */

export const PESQ_SAMPLE_RATE = 16000;
/** Samples per VAD window ("Downsample"); the time-alignment grid is this coarse. */
export const DOWNSAMPLE = 64;
/** VAD windows of zeros put before and after each signal. */
export const SEARCH_BUFFER = 75;
/** Zeros after each signal beyond the search buffer: 320 ms. */
export const DATA_PADDING = 320 * (PESQ_SAMPLE_RATE / 1000);
/** Leading zeros of the padded layout, in samples. */
export const LEAD = SEARCH_BUFFER * DOWNSAMPLE;
/** FFT length of the fine (per-utterance) delay histogram. */
export const ALIGN_NFFT = 1024;
/** Perceptual-model frame: 32 ms, Hann window, 50 % overlap. */
export const FRAME = 8 * DOWNSAMPLE;
export const HOP = FRAME / 2;

/** Utterance detection, in VAD windows. */
export const MIN_SPEECH_LENGTH = 4;
export const JOIN_SPEECH_LENGTH = 50;
export const MIN_UTTERANCE_LENGTH = 50;
export const MAX_UTTERANCES = 50;

/** Level alignment target: mean power of the 300–3500 Hz band (P.862 §10.2.1). */
export const TARGET_AVG_POWER = 1e7;

/** Piecewise-linear dB response (Hz, dB) of the level-alignment band filter. */
export const ALIGN_FILTER_DB: readonly (readonly [number, number])[] = [
  [0, -500], [50, -500], [100, -500], [125, -500], [160, -500], [200, -500], [250, -500],
  [300, -500], [350, 0], [400, 0], [500, 0], [600, 0], [630, 0], [800, 0], [1000, 0],
  [1250, 0], [1600, 0], [2000, 0], [2500, 0], [3000, 0], [3250, 0], [3500, -500],
  [4000, -500], [5000, -500], [6300, -500], [8000, -500],
];

/**
 * Biquads (b0, b1, b2, a1, a2), y = b·z / (1 + a1 z⁻¹ + a2 z⁻²).
 * P.862.2 replaces the IRS receive filter by this 100 Hz high-pass.
 */
export const WB_INPUT_FILTER: readonly number[] = [2.740826, -5.4816519, 2.740826, -1.9444777, 0.94597794];

/** The filter applied before the VAD and delay estimation (12 sections at 16 kHz). */
export const ALIGN_IIR_16K: readonly number[] = [
  0.325631521, -0.086782860, -0.238848661, -1.079416490, 0.434583902,
  0.403961804, -0.556985881, 0.153024077, -0.415115835, 0.696590244,
  4.736162769, 3.287251046, 1.753289019, -1.859599046, 0.876284034,
  0.365373469, 0.000000000, 0.000000000, -0.634626531, 0.000000000,
  0.884811506, 0.000000000, 0.000000000, -0.256725271, 0.141536777,
  0.723593055, -1.447186099, 0.723593044, -1.129587469, 0.657232737,
  1.644910855, -1.817280902, 1.249658063, -1.778403899, 0.801724355,
  0.633692689, -0.284644314, -0.319789663, 0.000000000, 0.000000000,
  1.032763031, 0.268428979, 0.602913323, 0.000000000, 0.000000000,
  1.001616361, -0.823749013, 0.439731942, -0.885778255, 0.000000000,
  0.752472096, -0.375388990, 0.188977609, -0.077258216, 0.247230734,
  1.023700575, 0.001661628, 0.521284240, -0.183867259, 0.354324187,
];

/** Number of Bark bands at 16 kHz. */
export const NB = 49;
/** Power-density and loudness scale factors at 16 kHz. */
export const SP = 6.910853e-6;
export const SL = 1.866055e-1;

/** FFT bins (of the 512-point frame) summed into each Bark band. */
export const HZ_BANDS_PER_BARK = Int32Array.from([
  1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
  3, 3, 3, 3, 4, 3, 4, 5, 4, 5, 6, 6, 7, 8, 9, 9, 12, 12, 15, 16, 18, 21, 25, 20,
]);

export const CENTRE_OF_BAND_BARK = Float64Array.from([
  0.078672, 0.316341, 0.636559, 0.961246, 1.290450, 1.624217, 1.962597, 2.305636, 2.653383,
  3.005889, 3.363201, 3.725371, 4.092449, 4.464486, 4.841533, 5.223642, 5.610866, 6.003256,
  6.400869, 6.803755, 7.211971, 7.625571, 8.044611, 8.469146, 8.899232, 9.334927, 9.776288,
  10.223374, 10.676242, 11.134952, 11.599563, 12.070135, 12.546731, 13.029408, 13.518232,
  14.013264, 14.514566, 15.022202, 15.536238, 16.056736, 16.583761, 17.117382, 17.657663,
  18.204674, 18.758478, 19.319147, 19.886751, 20.461355, 21.043034,
]);

export const WIDTH_OF_BAND_BARK = Float64Array.from([
  0.157344, 0.317994, 0.322441, 0.326934, 0.331474, 0.336061, 0.340697, 0.345381, 0.350114,
  0.354897, 0.359729, 0.364611, 0.369544, 0.374529, 0.379565, 0.384653, 0.389794, 0.394989,
  0.400236, 0.405538, 0.410894, 0.416306, 0.421773, 0.427297, 0.432877, 0.438514, 0.444209,
  0.449962, 0.455774, 0.461645, 0.467577, 0.473569, 0.479621, 0.485736, 0.491912, 0.498151,
  0.504454, 0.510819, 0.517250, 0.523745, 0.530308, 0.536934, 0.543629, 0.550390, 0.557220,
  0.564119, 0.571085, 0.578125, 0.585232,
]);

export const POW_DENS_CORRECTION = Float64Array.from([
  100.000000, 99.999992, 100.000000, 100.000008, 100.000008, 100.000015, 99.999992, 99.999969,
  50.000027, 100.000000, 99.999969, 100.000015, 99.999947, 100.000061, 53.047077, 110.000046,
  117.991989, 65.000000, 68.760147, 69.999931, 71.428818, 75.000038, 76.843384, 80.968781,
  88.646126, 63.864388, 68.155350, 72.547775, 75.584831, 58.379192, 80.950836, 64.135651,
  54.384785, 73.821884, 64.437073, 59.176456, 65.521278, 61.399822, 58.144047, 57.004543,
  64.126297, 54.311001, 61.114979, 55.077751, 56.849335, 55.628868, 53.137054, 54.985844,
  79.546974,
]);

/** Absolute hearing threshold per Bark band, in the model's power units. */
export const ABS_THRESH_POWER = Float64Array.from([
  51286152.000000, 2454709.500000, 70794.593750, 4897.788574, 1174.897705, 389.045166,
  104.712860, 45.708820, 17.782795, 9.772372, 4.897789, 3.090296, 1.905461, 1.258925, 0.977237,
  0.724436, 0.562341, 0.457088, 0.389045, 0.331131, 0.295121, 0.269153, 0.257040, 0.251189,
  0.251189, 0.251189, 0.251189, 0.263027, 0.288403, 0.309030, 0.338844, 0.371535, 0.398107,
  0.436516, 0.467735, 0.489779, 0.501187, 0.501187, 0.512861, 0.524807, 0.524807, 0.524807,
  0.512861, 0.478630, 0.426580, 0.371535, 0.363078, 0.416869, 0.537032,
]);

/** Disturbance aggregation: L_p norms over frequency (F), split second (S) and time (T). */
export const D_POW_F = 2;
export const D_POW_S = 6;
export const D_POW_T = 2;
export const A_POW_F = 1;
export const A_POW_S = 6;
export const A_POW_T = 2;
export const D_WEIGHT = 0.1;
export const A_WEIGHT = 0.0309;
