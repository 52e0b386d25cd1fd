/**
 * Readings of a virtual device that look like a real one's: temperature and humidity wander
 * around a set point, CPU load jumps and settles, the battery drains and is recharged when
 * empty, the door opens now and then, and the link quality is a word.
 */

/** One random walk step, pulled back toward `center` and kept within bounds. */
function walk(value: number, center: number, step: number, min: number, max: number, random: () => number): number {
  const next = value + (random() - 0.5) * 2 * step + (center - value) * 0.05;
  return Math.min(max, Math.max(min, next));
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Creates a device's metrics; each call of next() is the next reading. */
export function createVirtualMetrics(random: () => number = Math.random) {
  let temperature = 18 + random() * 6;
  let humidity = 35 + random() * 20;
  let cpu = 5 + random() * 20;
  let battery = 60 + random() * 40;
  let isDoorOpen = false;
  const temperatureCenter = temperature;

  return {
    next(): Record<string, number | boolean | string> {
      temperature = walk(temperature, temperatureCenter, 0.3, -20, 60, random);
      humidity = walk(humidity, 45, 1, 0, 100, random);
      cpu = random() < 0.1 ? 60 + random() * 40 : walk(cpu, 15, 5, 0, 100, random);
      battery = battery <= 5 ? 100 : battery - random() * 0.5;
      if (random() < 0.05) isDoorOpen = !isDoorOpen;
      return {
        temperature: round(temperature, 2),
        humidity: round(humidity, 1),
        cpu: round(cpu, 1),
        battery: round(battery, 1),
        charging: battery > 99.5,
        door: isDoorOpen ? 'open' : 'closed',
        link: cpu > 90 ? 'degraded' : 'good',
      };
    },
  };
}
