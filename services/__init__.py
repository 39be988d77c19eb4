"""The five services. None imports another: they share `contracts` and the `runtime` kit only."""
