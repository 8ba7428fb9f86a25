"""Upload service: photographers' API, the image processor and the image pipeline."""
