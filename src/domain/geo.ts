/**
 * Deterministic great-circle distance for consensus code.
 *
 * Only + − × ÷, Math.sqrt (IEEE 754 correctly rounded), Math.round/floor/abs/min/max
 * (exact) are used: Math.sin/cos/asin/atan2 are NOT specified bit-for-bit across engines,
 * so sine, cosine and arcsine are computed here with range reduction + the fdlibm minimax
 * polynomials (|error| < 1 ulp-ish on the reduced range, far below what the chain needs).
 *
 * Distance: each point becomes a unit vector (cosφ·cosλ, cosφ·sinλ, sinφ); the chord
 * c = |a − b| gives the central angle θ = 2·asin(c/2), distance = R·θ with the mean Earth
 * radius R = 6,371,008.8 m. This is mathematically the haversine distance (it has no
 * trouble at the date line or the poles, the vectors do not care about longitude wrap),
 * and numerically agrees with it to ~1e-9 relative; `distanceMetres` floors to whole metres.
 */

export const EARTH_RADIUS_M = 6_371_008.8;

const PI = 3.141592653589793;
const PIO2_1 = 1.57079632673412561417e+0; // first 33 bits of π/2
const PIO2_1T = 6.07710050650619224932e-11; // π/2 − PIO2_1
const INV_PIO2 = 6.36619772367581382433e-1; // 2/π
const PIO2 = 1.5707963267948966;
/** Radians per micro-degree. */
export const RAD_PER_MICRODEG = PI / 180 / 1e6;

// fdlibm __kernel_sin / __kernel_cos coefficients (|x| <= π/4).
const S1 = -1.66666666666666324348e-1;
const S2 = 8.33333333332248946124e-3;
const S3 = -1.98412698298579493134e-4;
const S4 = 2.75573137070700676789e-6;
const S5 = -2.50507602534068634195e-8;
const S6 = 1.58969099521155010221e-10;
const C1 = 4.16666666666666019037e-2;
const C2 = -1.38888888888741095749e-3;
const C3 = 2.48015872894767294178e-5;
const C4 = -2.75573143513906633035e-7;
const C5 = 2.08757232129817482790e-9;
const C6 = -1.13596475577881948265e-11;

function kSin(x: number): number {
  const z = x * x;
  const v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + v * (S1 + z * r);
}

function kCos(x: number): number {
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const hz = 0.5 * z;
  const w = 1 - hz;
  return w + (1 - w - hz + z * r);
}

/** Reduces x (|x| up to a few thousand) to r in [−π/4, π/4] and the quadrant n mod 4. */
function reduce(x: number): { r: number; q: number } {
  const n = Math.round(x * INV_PIO2);
  const r = x - n * PIO2_1 - n * PIO2_1T;
  return { r, q: ((n % 4) + 4) % 4 };
}

/** Deterministic sine (accurate for |x| below ~1e6 rad; consensus uses |x| <= π). */
export function dsin(x: number): number {
  if (x === 0) return x;
  const { r, q } = reduce(x);
  switch (q) {
    case 0: return kSin(r);
    case 1: return kCos(r);
    case 2: return -kSin(r);
    default: return -kCos(r);
  }
}

/** Deterministic cosine. */
export function dcos(x: number): number {
  const { r, q } = reduce(x);
  switch (q) {
    case 0: return kCos(r);
    case 1: return -kSin(r);
    case 2: return -kCos(r);
    default: return kSin(r);
  }
}

// fdlibm e_asin.c rational approximation of (asin(x) − x)/x³ in t = x².
const pS0 = 1.66666666666666657415e-1;
const pS1 = -3.25565818622400915405e-1;
const pS2 = 2.01212532134862925881e-1;
const pS3 = -4.00555345006794114027e-2;
const pS4 = 7.91534994289814532176e-4;
const pS5 = 3.47933107596021167570e-5;
const qS1 = -2.40339491173441421878e+0;
const qS2 = 2.02094576023350569471e+0;
const qS3 = -6.88283971605453293030e-1;
const qS4 = 7.70381505559019352791e-2;

function asinR(t: number): number {
  const p = t * (pS0 + t * (pS1 + t * (pS2 + t * (pS3 + t * (pS4 + t * pS5)))));
  const q = 1 + t * (qS1 + t * (qS2 + t * (qS3 + t * qS4)));
  return p / q;
}

/** Deterministic arcsine on [−1, 1] (input is clamped). */
export function dasin(x: number): number {
  const neg = x < 0;
  let a = neg ? -x : x;
  if (a > 1) a = 1;
  let r: number;
  if (a <= 0.5) {
    r = a + a * asinR(a * a);
  } else {
    // asin(a) = π/2 − 2·asin(√((1−a)/2))
    const t = (1 - a) * 0.5;
    const s = Math.sqrt(t);
    r = PIO2 - 2 * (s + s * asinR(t));
  }
  return neg ? -r : r;
}

/** Deterministic arctangent: atan(x) = asin(x / √(1 + x²)) for |x| <= 1, else ±π/2 − atan(1/x). */
export function datan(x: number): number {
  if (x !== x) return x;
  if (x > 1) return PIO2 - datan(1 / x);
  if (x < -1) return -PIO2 - datan(1 / x);
  return dasin(x / Math.sqrt(1 + x * x));
}

/** A point on the unit sphere. */
export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** Unit vector of a location in integer micro-degrees. */
export function unitVector(latMicro: number, lonMicro: number): Vec3 {
  const phi = latMicro * RAD_PER_MICRODEG;
  const lam = lonMicro * RAD_PER_MICRODEG;
  const cphi = dcos(phi);
  return { x: cphi * dcos(lam), y: cphi * dsin(lam), z: dsin(phi) };
}

/** Great-circle distance in metres (unfloored) between two unit vectors. */
export function vecDistanceM(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  const dx = ax - bx;
  const dy = ay - by;
  const dz = az - bz;
  const c = Math.sqrt(dx * dx + dy * dy + dz * dz);
  return 2 * EARTH_RADIUS_M * dasin(c * 0.5);
}

/** The consensus distance: whole metres (floor) between two unit vectors. */
export function vecDistanceMetres(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  return Math.floor(vecDistanceM(ax, ay, az, bx, by, bz));
}

/** Great-circle distance in metres (unfloored) between two micro-degree locations. */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const a = unitVector(lat1, lon1);
  const b = unitVector(lat2, lon2);
  return vecDistanceM(a.x, a.y, a.z, b.x, b.y, b.z);
}

/** The consensus distance in whole metres (floor) between two micro-degree locations. */
export function distanceMetres(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return Math.floor(distanceM(lat1, lon1, lat2, lon2));
}

/**
 * Squared chord (unit sphere) below which a point may still be at floored distance
 * <= `metres`: 2·sin(θ/2) for θ = (metres + 1)/R, widened by a relative and an absolute
 * slack that dwarf every rounding error of the computations above. Infinity when the
 * angle reaches π (nothing can be excluded).
 */
export function chordThresholdSq(metres: number): number {
  const theta = (metres + 1) / EARTH_RADIUS_M;
  if (theta >= PI) return Infinity;
  const c = 2 * dsin(theta * 0.5) * (1 + 1e-9) + 1e-12;
  return c * c;
}
