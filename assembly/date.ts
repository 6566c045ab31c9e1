// The Date header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once a second.

import { SP, COMMA, COLON, DIGIT_0, putString } from "./chars";

const DATE = memory.data(29);
let cachedSecond: u32 = 0xffffffff;

function put2(p: usize, n: u32): void {
  store<u8>(p, <u8>(DIGIT_0 + n / 10));
  store<u8>(p + 1, <u8>(DIGIT_0 + n % 10));
}

/** Returns the address of 29 bytes such as "Sun, 06 Nov 1994 08:49:37 GMT". */
export function httpDate(unixSeconds: u32): usize {
  if (unixSeconds == cachedSecond) return DATE;
  cachedSecond = unixSeconds;
  const days = <i32>(unixSeconds / 86400);
  const secs = unixSeconds % 86400;
  // civil_from_days (H. Hinnant), valid for the whole u32 range of seconds.
  const z = days + 719468;
  const era = z / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  const week = "SunMonTueWedThuFriSat";
  const months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const wd = (days + 4) % 7;
  for (let i = 0; i < 3; i++) store<u8>(DATE + i, <u8>week.charCodeAt(wd * 3 + i));
  store<u8>(DATE + 3, <u8>COMMA);
  store<u8>(DATE + 4, <u8>SP);
  put2(DATE + 5, <u32>day);
  store<u8>(DATE + 7, <u8>SP);
  for (let i = 0; i < 3; i++) store<u8>(DATE + 8 + i, <u8>months.charCodeAt((month - 1) * 3 + i));
  store<u8>(DATE + 11, <u8>SP);
  put2(DATE + 12, <u32>year / 100);
  put2(DATE + 14, <u32>year % 100);
  store<u8>(DATE + 16, <u8>SP);
  put2(DATE + 17, secs / 3600);
  store<u8>(DATE + 19, <u8>COLON);
  put2(DATE + 20, (secs / 60) % 60);
  store<u8>(DATE + 22, <u8>COLON);
  put2(DATE + 23, secs % 60);
  store<u8>(DATE + 25, <u8>SP);
  putString(DATE + 26, "GMT");
  return DATE;
}
