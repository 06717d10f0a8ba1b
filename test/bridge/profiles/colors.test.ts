import t from 'tap';
import {
  colorTextOfHex, hexOfColorObject, hexOfColorText, hexOfHs, hexOfXy, hsOfHex, xyOfHex,
} from '../../../src/bridge/profiles/colors.js';

// The sRGB primaries and its white point (D65) are defined by their CIE 1931 chromaticities.
const PRIMARIES: Array<[string, number, number]> = [
  ['#ff0000', 0.64, 0.33], ['#00ff00', 0.30, 0.60], ['#0000ff', 0.15, 0.06],
  ['#ffffff', 0.3127, 0.3290],
];

t.test('the sRGB primaries and white sit at their defined chromaticities', async (t) => {
  for (const [hex, x, y] of PRIMARIES) {
    const xy = xyOfHex(hex);
    t.ok(Math.abs(xy.x - x) < 0.002 && Math.abs(xy.y - y) < 0.002, `${hex} at ${x}, ${y}`);
    t.equal(hexOfXy(x, y), hex, `${x}, ${y} is ${hex}`);
  }
});

t.test('a colour outside the sRGB gamut is cut to its nearest channels', async (t) => {
  // A Hue bulb's deepest red lies beyond sRGB's red primary.
  t.equal(hexOfXy(0.7006, 0.2993), '#ff0000');
  t.equal(hexOfXy(0.3, 0), undefined, 'y of 0 has no colour');
  t.equal(hexOfXy('0.3', 0.3), undefined, 'numbers only');
});

t.test('hue and saturation go both ways at full brightness', async (t) => {
  t.same(hsOfHex('#ff8800'), { h: 32, s: 100 });
  t.equal(hexOfHs(32, 100), '#ff8800');
  t.equal(hexOfHs(-120, 50), '#8080ff', 'a hue below 0 turns round');
  t.equal(hexOfHs(0, 0), '#ffffff');
  t.equal(hexOfHs(10, 120), undefined, 'saturation is a percentage');
  t.same(hsOfHex('#804020'), { h: 20, s: 75 }, 'brightness is dropped');
});

t.test('a colour object is read by its colour mode, else by what it holds', async (t) => {
  const both = { r: 0, g: 0, b: 255, x: 0.64, y: 0.33 };
  t.equal(hexOfColorObject(both, 'xy'), '#ff0000');
  t.equal(hexOfColorObject(both, 'rgbw'), '#0000ff');
  t.equal(hexOfColorObject({ h: 120, s: 100 }, undefined), '#00ff00');
  t.equal(hexOfColorObject({ hue: 120, saturation: 100 }, 'hs'), undefined,
    'Home Assistant names them h and s');
});

t.test('the text forms of the default schema', async (t) => {
  t.equal(hexOfColorText('255, 136, 0', 'rgb'), '#ff8800');
  t.equal(hexOfColorText('32,100', 'hs'), '#ff8800');
  t.equal(hexOfColorText('0.64,0.33', 'xy'), '#ff0000');
  t.equal(hexOfColorText('255,136', 'rgb'), undefined);
  t.equal(hexOfColorText('1,2,', 'rgb'), undefined);
  t.same(colorTextOfHex('#00a0ff', 'rgb'), { text: '0,160,255',
    names: { red: 0, green: 160, blue: 255 } });
  t.same(colorTextOfHex('#ff8800', 'hs'), { text: '32,100', names: { hue: 32, sat: 100 } });
});
