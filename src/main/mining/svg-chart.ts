/** A small, dependency-free SVG line chart for experiment reports (opens in any browser). */
export function lineChartSvg(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { label: string; points: { x: number; y: number }[] }[];
}): string {
  const W = 760,
    H = 420,
    L = 60,
    R = 200,
    T = 40,
    B = 50;
  const all = opts.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const xMin = Math.min(xMax, ...all.map((p) => p.x));
  const yMax = Math.min(1, Math.max(0.1, ...all.map((p) => p.y)) * 1.05);
  const sx = (x: number) => L + ((x - xMin) / Math.max(1, xMax - xMin)) * (W - L - R);
  const sy = (y: number) => T + (1 - y / yMax) * (H - T - B);
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const ticks = Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${L - 6}" y="${sy(t) + 4}" text-anchor="end">${t.toFixed(2)}</text><line x1="${L}" x2="${W - R}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`,
    ),
    ...Array.from({ length: xMax - xMin + 1 }, (_, i) => xMin + i)
      .filter((x, _, xs) => xs.length <= 20 || x % Math.ceil(xs.length / 20) === 0)
      .map((x) => `<text x="${sx(x)}" y="${H - B + 16}" text-anchor="middle">${x}</text>`),
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  ];
  opts.series.forEach((s, i) => {
    const c = colours[i % colours.length]!;
    if (s.points.length)
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const p of s.points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${c}"/>`);
    parts.push(
      `<rect x="${W - R + 14}" y="${T + i * 18 - 9}" width="12" height="3" fill="${c}"/><text x="${W - R + 32}" y="${T + i * 18 - 4}">${esc(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
