#!/usr/bin/env python3
"""The PyTorch side of `npm run bench -- torch-agreement` (torch-agreement.ts): the reference
U-Net++ R34 (unetpp_torch.py) and loss (torch_kvasir.py) given the app's weights, batch and mask,
then what one training step and three steps of torch_kvasir.py's loop make of them.

  /usr/bin/python3 torch_agreement.py <reference dir> <in.json> <out.json>

in.json names a float32 file of tensors laid end to end (`tensors`: name, shape, offset in floats):
every weight and BN buffer by its state_dict name, `x` [B,3,S,S] and `y` [B,1,S,S]; plus lr, lam,
steps. out.json describes out.json.f32 the same way: `logits` (training mode, before any update),
`grad/<name>` (first step; `grad64/<name>` the same in float64), `step<k>/<name>` (state_dict after step k, for k = 1 and `steps`),
`eval<k>` (eval-mode logits after step k), and the loss of each step.
"""
import copy
import json
import sys

import numpy as np
import torch

ref_dir, in_path, out_path = sys.argv[1:4]
sys.path.insert(0, ref_dir)
from torch_kvasir import loss_fn  # noqa: E402  the reference's own loss
from unetpp_torch import UnetPlusPlusR34  # noqa: E402

spec = json.load(open(in_path))
flat = np.fromfile(spec["data"], dtype=np.float32)
tensors = {t["name"]: torch.from_numpy(flat[t["offset"]:t["offset"] + int(np.prod(t["shape"]))].reshape(t["shape"]).copy()) for t in spec["tensors"]}
torch.set_num_threads(spec.get("threads", 2))

model = UnetPlusPlusR34()
state = model.state_dict()
missing = [k for k in state if k not in tensors and not k.endswith("num_batches_tracked")]
if missing:
    raise SystemExit(f"the app sent no tensor for {missing[:5]}")
model.load_state_dict({k: tensors.get(k, state[k]) for k in state}, strict=True)
x, y = tensors["x"], tensors["y"]
opt = torch.optim.Adam(model.parameters(), lr=spec["lr"])

out, losses = {}, []


def keep(name, t):
    out[name] = t.detach().numpy().astype(np.float32)


def snapshot(k):
    for name, t in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            keep(f"step{k}/{name}", t)
    model.eval()
    with torch.no_grad():
        keep(f"eval{k}", model.logits(x))
    model.train()


# The same first step in float64: how far float32 arithmetic alone moves each result, for torch and the app alike
model.train()
model64 = copy.deepcopy(model).double()
loss_fn(model64.logits(x.double()), y.double(), spec["lam"]).backward()
for name, p in model64.named_parameters():
    keep(f"grad64/{name}", p.grad)
del model64

for k in range(1, spec["steps"] + 1):  # torch_kvasir.py's step: zero_grad, loss, backward, step
    opt.zero_grad()
    logits = model.logits(x)
    loss = loss_fn(logits, y, spec["lam"])
    loss.backward()
    losses.append(loss.item())
    if k == 1:
        keep("logits", logits)
        for name, p in model.named_parameters():
            keep(f"grad/{name}", p.grad)
    opt.step()
    if k == 1 or k == spec["steps"]:
        snapshot(k)

entries, offset = [], 0
with open(out_path + ".f32", "wb") as f:
    for name, a in out.items():
        entries.append({"name": name, "shape": list(a.shape), "offset": offset})
        a.tofile(f)
        offset += a.size
json.dump({"torch": torch.__version__, "losses": losses, "data": out_path + ".f32", "tensors": entries}, open(out_path, "w"))
