"""Per-step time of the naive step (all 12 layers, token ids) vs the cached K=1 step; default settings, alpha 0.5.

Usage: python benchmarks/naive_step_time.py   (about a minute on 2 idle cores)
"""
import time, copy, torch, numpy as np
from objectives import TrialConfig
from objectives._workspace import prepare_workspace
from objectives._top_encoder import TopEncoder
from objectives.samplers import HybridBatchSampler
from objectives.losses import info_nce_loss
from objectives.encoder import mean_pool
from objectives._train import fine_tune
torch.set_num_threads(2)
cfg = TrialConfig(); ws = prepare_workspace(cfg, progress=False)
nq = len(ws.data.questions)
qt = list(ws.data.questions["text"]); ct = list(ws.data.candidates["text"])
def ids_of(rows):
    return [ws.encoder.tokenize([qt[r]], "query")[0] if r < nq else ws.encoder.tokenize([ct[r-nq]], "passage")[0] for r in rows]
def fwd(model, rows):
    b = ids_of(rows); w = max(map(len, b))
    x = torch.full((len(b), w), ws.encoder.tokenizer.pad_token_id); m = torch.zeros_like(x)
    for i, r in enumerate(b): x[i,:len(r)] = torch.tensor(r); m[i,:len(r)] = 1
    return mean_pool(model(input_ids=x, attention_mask=m).last_hidden_state, m)
model = copy.deepcopy(ws.encoder.model); model.eval()
for p in model.embeddings.parameters(): p.requires_grad_(False)
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-5)
s = HybridBatchSampler(ws.train_items, ws.train_languages, 32, 0.5, seed=0)
times=[]
for _ in range(4):
    t=time.perf_counter(); b=s.next_batch()
    loss = info_nce_loss(fwd(model,[p.query for p in b]), fwd(model,[p.passage for p in b]), 0.05)
    opt.zero_grad(); loss.backward(); opt.step(); times.append(time.perf_counter()-t)
top = TopEncoder(ws.encoder.model, 1)
s2 = HybridBatchSampler(ws.train_items, ws.train_languages, 32, 0.5, seed=0)
t=time.perf_counter(); fine_tune(top, ws.cache, s2, steps=10, learning_rate=5e-5, temperature=0.05); cached=(time.perf_counter()-t)/10
print({"naive_step_s": [round(x,2) for x in times], "cached_step_s": round(cached,3)})
