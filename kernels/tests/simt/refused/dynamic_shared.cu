// simt_rewrite refuses this file: the emulator has no dynamic shared memory.
__global__ void k(float* out) {
  extern __shared__ float dynamic[];
  out[0] = dynamic[0];
}
