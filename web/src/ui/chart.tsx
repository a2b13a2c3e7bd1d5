// The console's Chart.js wrapper: a canvas that is an image with a text
// alternative, rebuilt when its configuration changes and destroyed with it.
import { useEffect, useRef, type CanvasHTMLAttributes } from 'react';
import { Chart, type ChartConfiguration } from 'chart.js';

export function ChartCanvas({ config, label, height = 260, ...rest }: { config: ChartConfiguration; label: string; height?: number } & CanvasHTMLAttributes<HTMLCanvasElement>) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [config]);
  return (
    <div className="chart-box" style={{ height }}>
      <canvas ref={canvas} role="img" aria-label={label} {...rest} />
    </div>
  );
}
