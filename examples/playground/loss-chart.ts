/**
 * The train and test loss curves: a small canvas chart that gains one
 * sample per frame and halves its history (keeping every other sample)
 * when it grows past MAX_SAMPLES, so it always shows the whole run.
 */
const MAX_SAMPLES = 400;

export class LossChart {
  private train: number[] = [];
  private test: number[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  reset(): void {
    this.train = [];
    this.test = [];
    this.draw();
  }

  add(trainLoss: number, testLoss: number): void {
    this.train.push(trainLoss);
    this.test.push(testLoss);
    if (this.train.length > MAX_SAMPLES) {
      this.train = this.train.filter((_, i) => i % 2 === 0);
      this.test = this.test.filter((_, i) => i % 2 === 0);
    }
    this.draw();
  }

  private draw(): void {
    const width = this.canvas.clientWidth || 300;
    const height = this.canvas.clientHeight || 60;
    this.canvas.width = width;
    this.canvas.height = height;
    const context = this.canvas.getContext('2d');
    if (!context) return;
    context.clearRect(0, 0, width, height);
    const finite = [...this.train, ...this.test].filter(Number.isFinite);
    if (finite.length === 0) return;
    const top = Math.max(...finite, 1e-6);
    const line = (values: number[], color: string) => {
      context.beginPath();
      values.forEach((value, i) => {
        const x = values.length === 1 ? 0 : (i / (values.length - 1)) * (width - 2) + 1;
        const y = height - 2 - (Math.min(value, top) / top) * (height - 4);
        if (i === 0) context.moveTo(x, y);
        else context.lineTo(x, y);
      });
      context.strokeStyle = color;
      context.lineWidth = 1.5;
      context.stroke();
    };
    line(this.train, '#999');
    line(this.test, '#111');
  }
}
