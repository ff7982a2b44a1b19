"""A do-it-yourself call pipeline, as the faster-whisper and pyannote.audio READMEs suggest (issue 19).

The bar that callscope is measured against in ``make bench-peer`` (:mod:`bench.versus`). It imports
nothing from callscope: it is what a team would glue together themselves, built from the two projects'
READMEs and ``../shared/RECIPES.md`` ("A do-it-yourself peer"):

* decode with PyAV to 16 kHz mono (a stereo call is mixed down: the READMEs diarize one track);
* diarize first (pyannote.audio 4 ``SpeakerDiarization``): segmentation-3.0 with a segmentation step of
  0.5 of the window, CAM++ speaker embeddings wrapped as a ``pyannote.audio.Model``, agglomerative
  clustering (centroid, threshold 0.7), ``num_speakers=2``;
* then transcribe (faster-whisper, Whisper base int8, beam 5, word timestamps, its VAD filter on);
* give each word to the speaker whose diarized turn overlaps it most.

The weights are the same files callscope verifies (their paths are arguments), so the comparison is of
pipelines, not of models. Telemetry is off (``PYANNOTE_METRICS_ENABLED=false``) and the hub is offline.

Run: ``python bench/peer.py --whisper DIR --segmentation FILE --campplus FILE [--threads N] CALL...``.
Prints one JSON line per call: ``{"file", "load_s" (first call only), "seconds", "speakers", "turns"}``,
with speakers ``{"label", "segments": [[start, end], ...]}`` and turns ``{"speaker", "start", "end",
"text"}``; times in seconds. All calls run in this one process, one after the other (a worker's shape);
one call per process is a one-off CLI's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SAMPLE_RATE = 16000


def decode(path: str):
    """The file as 16 kHz mono float32 (PyAV)."""
    import av
    import numpy as np

    chunks = []
    with av.open(path) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32)


def campplus_model(checkpoint: str):
    """CAM++ (speakerlab) as a pyannote embedding model: 80-bin fbank of the speaker's active frames."""
    import torch
    import torch.nn.functional as F
    import torchaudio.compliance.kaldi as kaldi
    from pyannote.audio import Model
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from speakerlab.models.campplus.DTDNN import CAMPPlus

    class CAMPPlusEmbedding(Model):
        def __init__(self):
            super().__init__(sample_rate=SAMPLE_RATE, num_channels=1)
            self.net = CAMPPlus(feat_dim=80, embedding_size=192)
            self.net.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
            self.net.eval()
            self.specifications = Specifications(
                problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=10.0
            )

        @property
        def dimension(self) -> int:
            return 192

        def forward(self, waveforms, weights=None):
            out = torch.full((waveforms.shape[0], 192), float("nan"))
            for i, wav in enumerate(waveforms[:, 0]):
                feats = kaldi.fbank(wav[None], num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0)
                if weights is not None:
                    mask = F.interpolate(weights[i][None, None].float(), size=feats.shape[0])[0, 0] > 0.5
                    feats = feats[mask]
                if feats.shape[0] < 30:
                    continue
                out[i] = self.net((feats - feats.mean(dim=0))[None])[0]
            return out

    return CAMPPlusEmbedding()


def load(whisper_dir: str, segmentation: str, campplus: str, threads: int):
    """The diarization pipeline and the Whisper model, as the READMEs build them."""
    import torch
    from faster_whisper import WhisperModel
    from pyannote.audio import Model
    from pyannote.audio.core.plda import PLDA
    from pyannote.audio.pipelines import SpeakerDiarization

    torch.set_num_threads(threads)
    # pyannote 4.0.7 loads a PLDA even for agglomerative clustering and get_plda(None) raises.
    pipeline = SpeakerDiarization(
        segmentation=Model.from_pretrained(segmentation),
        segmentation_step=0.5,
        embedding=campplus_model(campplus),
        plda=PLDA.__new__(PLDA),
        clustering="AgglomerativeClustering",
    )
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.7},
        }
    )
    whisper = WhisperModel(whisper_dir, device="cpu", compute_type="int8", cpu_threads=threads)
    return pipeline, whisper


def analyse(path: str, pipeline, whisper) -> dict:
    """Diarize, then transcribe, then attribute each word to the speaker overlapping it most."""
    import torch

    audio = decode(path)
    output = pipeline({"waveform": torch.from_numpy(audio)[None], "sample_rate": SAMPLE_RATE}, num_speakers=2)
    diarization = getattr(output, "speaker_diarization", output)
    segments, _ = whisper.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=True)
    turns: list[dict] = []
    for segment in segments:
        for word in segment.words or []:
            overlap: dict[str, float] = {}
            for turn, _, label in diarization.itertracks(yield_label=True):
                shared = min(turn.end, word.end) - max(turn.start, word.start)
                if shared > 0:
                    overlap[label] = overlap.get(label, 0.0) + shared
            speaker = max(overlap, key=overlap.get) if overlap else (turns[-1]["speaker"] if turns else "none")
            if turns and turns[-1]["speaker"] == speaker:
                turns[-1]["end"] = word.end
                turns[-1]["text"] += word.word
            else:
                turns.append({"speaker": speaker, "start": word.start, "end": word.end, "text": word.word})
    speakers = [
        {"label": label, "segments": [[s.start, s.end] for s in diarization.label_timeline(label)]}
        for label in diarization.labels()
    ]
    return {"speakers": speakers, "turns": [{**t, "text": t["text"].strip()} for t in turns]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--whisper", required=True, help="a CTranslate2 Whisper model directory")
    parser.add_argument("--segmentation", required=True, help="segmentation-3.0 pytorch_model.bin")
    parser.add_argument("--campplus", required=True, help="CAM++ state dict")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("calls", nargs="+")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pipeline, whisper = load(args.whisper, args.segmentation, args.campplus, args.threads)
    load_s = time.perf_counter() - started
    for i, path in enumerate(args.calls):
        t0 = time.perf_counter()
        result = analyse(path, pipeline, whisper)
        row = {"file": path, "seconds": time.perf_counter() - t0, **result}
        if i == 0:
            row["load_s"] = load_s
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
