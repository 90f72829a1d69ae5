/**
 * Converts a TensorFlow.js layers-model (Keras topology + float32 weights, e.g. brainchop's MeshNet
 * models) to ONNX. The ONNX graph is channels-first: input `input` [1, C, D, H, W] and output `logits`
 * [1, K, D, H, W] with free spatial sizes (a fully convolutional network runs on any crop). The
 * tfjs model's tensors are channels-last [1, D, H, W, C]; spatial axes keep their order, so a kernel
 * [kd, kh, kw, cin, cout] becomes ONNX [cout, cin, kd, kh, kw] and channel axes move from 4 to 1.
 * Supported: InputLayer, Conv3D, Activation, BatchNormalization, Dropout kinds (identity at
 * inference), ZeroPadding3D. Anything else is refused with the layer's name and class.
 */
import { buildOnnxModel, type AttributeValue, type Dim, type OnnxNode, type OnnxTensor } from './onnx-builder.js';
import { readTfjsModel, type LayerCall, type TfjsModel } from './tfjs-model.js';

export const TFJS_CONVERTER_VERSION = '1.0.0';

export interface ConvertOptions {
  /** the source model's name for the ONNX metadata (default: the topology's model name) */
  sourceName?: string;
  /** more metadata entries */
  metadata?: Record<string, string>;
}

export interface ConvertedLayer {
  name: string;
  className: string;
  /** the ONNX operators it became (none for identity layers) */
  ops: string[];
  /** channels of its output */
  channels: number;
}

export interface ConvertResult {
  onnx: Uint8Array;
  /** the source's declared input without the batch axis: [D, H, W, C], null where free */
  inputShape: (number | null)[];
  outputChannels: number;
  summary: ConvertedLayer[];
}

/** Layers that are the identity at inference. */
const IDENTITY = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout']);
const ACTIVATIONS = new Set(['linear', 'relu', 'elu', 'sigmoid', 'tanh', 'softmax', 'gelu']);

interface TensorInfo {
  name: string;
  channels: number;
  /** spatial size equals the model input's */
  sameSize: boolean;
}

type Json = Record<string, unknown>;

function triple(value: unknown, what: string, call: LayerCall): [number, number, number] {
  const v = typeof value === 'number' ? [value, value, value] : value;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => Number.isInteger(x) && x >= 0)) refuse(call, `${what} ${JSON.stringify(value)}`);
  return v as [number, number, number];
}

function refuse(call: LayerCall, detail: string): never {
  throw new Error(`layer "${call.name}" (${call.className}): unsupported ${detail}`);
}

class GraphWriter {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly constants = new Map<number, string>();

  constructor(private readonly model: TfjsModel) {}

  node(op: string, inputs: string[], output: string, attributes?: Record<string, AttributeValue>): string {
    this.nodes.push({ op, inputs, outputs: [output], name: output, ...(attributes ? { attributes } : {}) });
    return output;
  }

  tensor(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  constant(value: number): string {
    let name = this.constants.get(value);
    if (!name) this.constants.set(value, (name = this.tensor(`const:${value}`, [], Float32Array.of(value))));
    return name;
  }

  weight(call: LayerCall, kind: string, shape: number[]): Float32Array {
    const w = this.model.weights.get(`${call.name}/${kind}`);
    if (!w) throw new Error(`layer "${call.name}" (${call.className}): weight "${call.name}/${kind}" is missing from the weights manifest`);
    if (w.shape.join() !== shape.join()) throw new Error(`layer "${call.name}" (${call.className}): weight ${kind} has shape [${w.shape}], expected [${shape}]`);
    return w.data;
  }

  /** Keras activation by name, channels on axis 1; returns the output tensor name. */
  activation(kind: unknown, x: string, call: LayerCall): string {
    if (typeof kind !== 'string' || !ACTIVATIONS.has(kind)) refuse(call, `activation ${JSON.stringify(kind)}`);
    const out = `${call.output}/${kind}`;
    switch (kind) {
      case 'linear':
        return x;
      case 'relu':
        return this.node('Relu', [x], out);
      case 'elu': // Keras' 'elu' activation: alpha 1 (tfjs refuses any other)
        return this.node('Elu', [x], out, { alpha: { float: 1 } });
      case 'sigmoid':
        return this.node('Sigmoid', [x], out);
      case 'tanh':
        return this.node('Tanh', [x], out);
      case 'softmax':
        return this.node('Softmax', [x], out, { axis: 1 });
      default: {
        // tfjs-layers Gelu: x * (0.5 * (1 + erf(x / sqrt(2)))), the exact (erf) form, same order
        const erf = this.node('Erf', [this.node('Div', [x, this.constant(Math.SQRT2)], `${out}:scaled`)], `${out}:erf`);
        const cdf = this.node('Mul', [this.constant(0.5), this.node('Add', [this.constant(1), erf], `${out}:1+erf`)], `${out}:cdf`);
        return this.node('Mul', [x, cdf], out);
      }
    }
  }

  conv3d(call: LayerCall, x: TensorInfo): TensorInfo {
    const c = call.config;
    if ((c.data_format ?? 'channels_last') !== 'channels_last') refuse(call, `data_format ${String(c.data_format)}`);
    if ((c.groups ?? 1) !== 1) refuse(call, `groups ${String(c.groups)}`);
    const filters = Number(c.filters);
    const kernel = triple(c.kernel_size, 'kernel_size', call);
    const strides = triple(c.strides ?? 1, 'strides', call);
    const dilations = triple(c.dilation_rate ?? 1, 'dilation_rate', call);
    if (!Number.isInteger(filters) || filters < 1 || kernel.some((k) => k < 1) || strides.some((s) => s < 1) || dilations.some((d) => d < 1)) refuse(call, 'filters, kernel, strides or dilation');
    const [kd, kh, kw] = kernel;
    const cin = x.channels;
    // Keras [kd, kh, kw, cin, cout] -> ONNX [cout, cin, kd, kh, kw]
    const src = this.weight(call, 'kernel', [kd, kh, kw, cin, filters]);
    const dst = new Float32Array(src.length);
    const spatial = kd * kh * kw;
    for (let s = 0; s < spatial; s++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < filters; o++) dst[(o * cin + i) * spatial + s] = src[(s * cin + i) * filters + o]!;
      }
    }
    const inputs = [x.name, this.tensor(`${call.output}/kernel`, [filters, cin, kd, kh, kw], dst)];
    if (c.use_bias ?? true) inputs.push(this.tensor(`${call.output}/bias`, [filters], this.weight(call, 'bias', [filters]).slice()));
    const attributes: Record<string, AttributeValue> = { kernel_shape: kernel, strides, dilations };
    const stride1 = strides.every((s) => s === 1);
    if (c.padding === 'valid') {
      attributes.pads = [0, 0, 0, 0, 0, 0];
    } else if (c.padding === 'same') {
      if (stride1) {
        // TensorFlow 'same': total dilation*(k-1), the odd voxel (even kernels) at the end
        const total = kernel.map((k, i) => dilations[i]! * (k - 1));
        const begin = total.map((t) => Math.floor(t / 2));
        attributes.pads = [...begin, ...total.map((t, i) => t - begin[i]!)];
      } else {
        attributes.auto_pad = 'SAME_UPPER'; // depends on the input size; TensorFlow also pads the end
      }
    } else {
      refuse(call, `padding ${JSON.stringify(c.padding)}`);
    }
    const conv = this.node('Conv', inputs, `${call.output}/conv`, attributes);
    const sameSize = x.sameSize && stride1 && c.padding === 'same';
    return { name: this.activation(c.activation ?? 'linear', conv, call), channels: filters, sameSize };
  }

  batchNorm(call: LayerCall, x: TensorInfo): TensorInfo {
    const c = call.config;
    const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? -1);
    if (axis !== -1 && axis !== 4) refuse(call, `axis ${JSON.stringify(c.axis)} (only the channel axis)`);
    const n = x.channels;
    const epsilon = Number(c.epsilon ?? 1e-3);
    const ones = new Float32Array(n).fill(1);
    const scale = (c.scale ?? true) ? this.weight(call, 'gamma', [n]).slice() : ones;
    const bias = (c.center ?? true) ? this.weight(call, 'beta', [n]).slice() : new Float32Array(n);
    const inputs = [
      x.name,
      this.tensor(`${call.output}/gamma`, [n], scale),
      this.tensor(`${call.output}/beta`, [n], bias),
      this.tensor(`${call.output}/moving_mean`, [n], this.weight(call, 'moving_mean', [n]).slice()),
      this.tensor(`${call.output}/moving_variance`, [n], this.weight(call, 'moving_variance', [n]).slice()),
    ];
    return { ...x, name: this.node('BatchNormalization', inputs, `${call.output}/bn`, { epsilon: { float: epsilon } }) };
  }

  zeroPadding(call: LayerCall, x: TensorInfo): TensorInfo {
    const c = call.config;
    if ((c.data_format ?? 'channels_last') !== 'channels_last') refuse(call, `data_format ${String(c.data_format)}`);
    const p = c.padding ?? 1;
    // an int, (d, h, w) or ((front, back), (top, bottom), (left, right))
    const nested = Array.isArray(p) && p.length === 3 && p.every((q) => Array.isArray(q) && q.length === 2);
    const pairs = nested ? (p as unknown[][]).map((q) => q.map(Number)) : triple(p, 'padding', call).map((v) => [v, v]);
    if (pairs.flat().some((v) => !Number.isInteger(v) || v < 0)) refuse(call, `padding ${JSON.stringify(p)}`);
    const pads = BigInt64Array.from([0, 0, ...pairs.map((q) => q[0]!), 0, 0, ...pairs.map((q) => q[1]!)].map(BigInt));
    const name = this.node('Pad', [x.name, this.tensor(`${call.output}/pads`, [10], pads)], `${call.output}/pad`, { mode: 'constant' });
    return { name, channels: x.channels, sameSize: x.sameSize && pads.every((v) => v === 0n) };
  }
}

/**
 * Convert model.json (parsed) and its weights (every shard of the weights manifest, concatenated in
 * manifest order) to an ONNX model.
 */
export function convertTfjsLayersModel(modelJson: unknown, weights: Uint8Array, options: ConvertOptions = {}): ConvertResult {
  const model = readTfjsModel(modelJson, weights);
  const shape = model.inputShape;
  if (shape.length !== 5) throw new Error(`tfjs model: input rank ${shape.length - 1} ([${shape.slice(1)}]); only 3-D volumes with channels (D, H, W, C) are supported`);
  const inChannels = shape[4];
  if (typeof inChannels !== 'number') throw new Error('tfjs model: the input declares no channel count');

  const g = new GraphWriter(model);
  const tensors = new Map<string, TensorInfo>([[model.inputKey, { name: 'input', channels: inChannels, sameSize: true }]]);
  const summary: ConvertedLayer[] = [];
  for (const call of model.calls) {
    if (call.inputs.length !== 1) refuse(call, `${call.inputs.length} inputs`);
    const x = tensors.get(call.inputs[0]!)!;
    const before = g.nodes.length;
    let y: TensorInfo;
    if (call.className === 'Conv3D') y = g.conv3d(call, x);
    else if (call.className === 'Activation') y = { ...x, name: g.activation(call.config.activation, x.name, call) };
    else if (call.className === 'BatchNormalization') y = g.batchNorm(call, x);
    else if (call.className === 'ZeroPadding3D') y = g.zeroPadding(call, x);
    else if (IDENTITY.has(call.className)) y = x;
    else throw new Error(`layer "${call.name}" (${call.className}): unsupported layer class`);
    tensors.set(call.output, y);
    summary.push({ name: call.name, className: call.className, ops: g.nodes.slice(before).map((n) => n.op), channels: y.channels });
  }

  const out = tensors.get(model.outputKey)!;
  if (out.name === 'input') {
    g.node('Identity', ['input'], 'logits');
  } else {
    for (const n of g.nodes) {
      n.inputs = n.inputs.map((i) => (i === out.name ? 'logits' : i));
      n.outputs = n.outputs.map((o) => (o === out.name ? 'logits' : o));
    }
  }
  const outSpatial: Dim[] = out.sameSize ? ['D', 'H', 'W'] : ['D_out', 'H_out', 'W_out'];
  const metadata: Record<string, string> = {
    source_model: options.sourceName ?? model.name,
    converter: `delineate tfjs-converter ${TFJS_CONVERTER_VERSION}`,
    source_format: 'tfjs layers-model',
    ...(model.generatedBy ? { source_generated_by: model.generatedBy } : {}),
    ...(model.convertedBy ? { source_converted_by: model.convertedBy } : {}),
    ...options.metadata,
  };
  const onnx = buildOnnxModel({
    name: model.name,
    inputs: [{ name: 'input', dims: [1, inChannels, 'D', 'H', 'W'] }],
    outputs: [{ name: 'logits', dims: [1, out.channels, ...outSpatial] }],
    nodes: g.nodes,
    initializers: g.initializers,
    opset: 17,
    producer: 'delineate tfjs-converter',
    metadata,
  });
  return { onnx, inputShape: shape.slice(1), outputChannels: out.channels, summary };
}
