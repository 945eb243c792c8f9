"""MCAP recording of live sessions (the only importer of ``mcap``): recorder, reader, replay."""
