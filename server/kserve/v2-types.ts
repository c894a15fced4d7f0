/** The transport-free form of a KServe v2 inference request and response; gRPC and HTTP codecs translate. */
import type { TensorData, V2Tensor } from './tensor-data.js';

export type ParameterValue = boolean | number | string;
export type Parameters = Record<string, ParameterValue>;

export interface V2InputTensor extends V2Tensor {
  parameters: Parameters;
}

export interface V2RequestedOutput {
  name: string;
  parameters: Parameters;
}

export interface V2InferRequest {
  modelName: string;
  /** Empty: the latest ready version. */
  modelVersion: string;
  id: string;
  parameters: Parameters;
  inputs: V2InputTensor[];
  /** Empty: every output, without classification. */
  outputs: V2RequestedOutput[];
}

export interface V2OutputTensor {
  name: string;
  datatype: 'FP32' | 'BYTES';
  shape: number[];
  data: Float32Array | Buffer[];
  /** The request's parameters for this output (the HTTP codec reads binary_data from them). */
  requested: Parameters;
}

export interface V2InferResponse {
  modelName: string;
  modelVersion: string;
  id: string;
  parameters: Parameters;
  outputs: V2OutputTensor[];
}

export type { TensorData };
