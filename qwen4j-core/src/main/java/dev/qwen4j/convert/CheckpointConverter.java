package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.json.Json;
import dev.qwen4j.model.DeltaNetConfig;
import dev.qwen4j.model.ModelConfig;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Converts a Hugging Face Qwen2 / Qwen3 / Qwen3.5 checkpoint to GGUF the way llama.cpp's converter does
 * (QWEN_SPEC.md §3.4, §4.8): renamed tensors, Qwen3.5 norms stored as {@code 1 + w} (all but the DeltaNet's gated
 * {@code linear_attn.norm}), {@code ssm_a = −exp(A_log)}, the conv taps squeezed to {@code [K, channels]}, and the
 * DeltaNet value heads moved from HF's grouped order to GGUF's tiled order (§4.8.2). A whole Qwen3.5 MTP block
 * becomes layer L with {@code nextn_predict_layers = 1} (§4.9; the model's draft head); vision tensors are left out.
 * Tensors are converted while the file is written.
 */
public final class CheckpointConverter {
    /** HF prefixes of the text decoder: multimodal checkpoints, older VL layouts, text-only ones. */
    private static final List<String> PREFIXES = List.of("model.language_model.", "language_model.model.", "model.");

    private final HfCheckpoint checkpoint;
    private final HfConfig hf;
    private final ModelConfig c;
    private final DeltaNetConfig d;
    private final boolean qwen35;
    private final String prefix;
    private final List<TensorConversion> plan = new ArrayList<>();
    private final Set<String> used = new HashSet<>();
    /** 1 when the checkpoint's MTP block is converted (a Qwen3.5 checkpoint that has the whole block), else 0. */
    private int mtpLayers;

    private CheckpointConverter(HfCheckpoint checkpoint) throws IOException {
        this.checkpoint = checkpoint;
        boolean hasLmHead = checkpoint.tensors().containsKey("lm_head.weight") || checkpoint.tensors().containsKey("language_model.lm_head.weight");
        this.hf = HfConfig.parse(checkpoint.config(), checkpoint.directory().resolve("config.json"), hasLmHead);
        this.c = hf.config();
        this.d = hf.deltaNet();
        this.qwen35 = d != null;
        this.prefix = textPrefix(checkpoint);
    }

    /** Converts the checkpoint in {@code dir} to {@code out} (written atomically), reporting each tensor to {@code progress}. */
    public static void convert(Path dir, Path out, TargetType target, Consumer<String> progress) throws IOException {
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            writer(checkpoint, target, progress).write(out);
        }
    }

    /** A writer for the converted file; tensor bytes are views of the checkpoint, which must stay open until written. */
    public static GgufWriter writer(HfCheckpoint checkpoint, TargetType target, Consumer<String> progress) throws IOException {
        CheckpointConverter conv = new CheckpointConverter(checkpoint);
        conv.planTensors(target);
        GgufWriter w = new GgufWriter();
        String arch = conv.c.architecture();
        w.putString("general.architecture", arch);
        w.putString("general.name", String.valueOf(checkpoint.directory().toAbsolutePath().normalize().getFileName()));
        if (target != TargetType.SOURCE) w.putUInt32("general.file_type", target.fileType);
        if (target.isQuantized()) w.putUInt32("general.quantization_version", 2);
        conv.hf.writeMetadata(w, conv.mtpLayers);
        TokenizerMetadata.write(checkpoint.directory(), checkpoint.config(), arch, conv.c.vocabSize(), w);
        int count = conv.plan.size();
        for (int i = 0; i < count; i++) {
            TensorConversion t = conv.plan.get(i);
            t.addTo(w, t.describe(i + 1, count), progress);
        }
        return w;
    }

    private void planTensors(TargetType target) throws CheckpointException {
        int h = c.hidden(), v = c.vocabSize();
        tensor("embed_tokens.weight", "token_embd.weight", h, v);
        tensor("norm.weight", "output_norm.weight", h);
        if (!hf.tied()) add(find("lm_head.weight", "language_model.lm_head.weight"), "output.weight", dims(h, v), null, null, TensorConversion.ValueMap.NONE);
        for (int l = 0; l < c.layers(); l++) layer("layers." + l + ".", "blk." + l + ".", !qwen35 || d.isFullAttention(l));
        String mtp = qwen35 ? mtpPrefix() : null;
        if (mtp != null) mtpBlock(mtp, "blk." + c.layers() + ".");
        checkNothingLeft();
        boolean hasOutput = !hf.tied();
        for (int i = 0; i < plan.size(); i++) {
            TensorConversion t = plan.get(i);
            GgmlType type = target.typeFor(t.name(), t.dims(), t.source().type(), c.layers(), hasOutput);
            plan.set(i, new TensorConversion(t.name(), t.source(), t.dims(), type, t.rowOrder(), t.columnOrder(), t.values()));
        }
    }

    /** One decoder layer: HF {@code p} ("layers.N.") to GGUF {@code b} ("blk.N."), full attention or a DeltaNet. */
    private void layer(String p, String b, boolean fullAttention) throws CheckpointException {
        int h = c.hidden(), attn = c.heads() * c.headDim();
        tensor(p + "input_layernorm.weight", b + "attn_norm.weight", h);
        tensor(p + "post_attention_layernorm.weight", b + (qwen35 ? "post_attention_norm.weight" : "ffn_norm.weight"), h);
        if (fullAttention) {
            tensor(p + "self_attn.q_proj.weight", b + "attn_q.weight", h, qwen35 ? 2 * attn : attn);
            tensor(p + "self_attn.k_proj.weight", b + "attn_k.weight", h, c.kvDim());
            tensor(p + "self_attn.v_proj.weight", b + "attn_v.weight", h, c.kvDim());
            tensor(p + "self_attn.o_proj.weight", b + "attn_output.weight", attn, h);
            if (c.architecture().equals("qwen2")) {
                tensor(p + "self_attn.q_proj.bias", b + "attn_q.bias", attn);
                tensor(p + "self_attn.k_proj.bias", b + "attn_k.bias", c.kvDim());
                tensor(p + "self_attn.v_proj.bias", b + "attn_v.bias", c.kvDim());
            } else {
                tensor(p + "self_attn.q_norm.weight", b + "attn_q_norm.weight", c.headDim());
                tensor(p + "self_attn.k_norm.weight", b + "attn_k_norm.weight", c.headDim());
            }
        } else {
            deltaNet(p + "linear_attn.", b);
        }
        tensor(p + "mlp.gate_proj.weight", b + "ffn_gate.weight", h, c.ffn());
        tensor(p + "mlp.up_proj.weight", b + "ffn_up.weight", h, c.ffn());
        tensor(p + "mlp.down_proj.weight", b + "ffn_down.weight", c.ffn(), h);
    }

    /**
     * Where the checkpoint keeps a whole MTP block ({@code mtp.} in the official multimodal checkpoints,
     * {@code model.mtp.} in some others), or null: a block without its layer is left out, as transformers does.
     */
    private String mtpPrefix() {
        for (String p : new String[] {"mtp.", "model.mtp."}) {
            if (checkpoint.tensors().containsKey(p + "fc.weight") && checkpoint.tensors().containsKey(p + "layers.0.self_attn.q_proj.weight")) {
                return p;
            }
        }
        return null;
    }

    /**
     * §4.9: the MTP block as layer L — fc → nextn.eh_proj, the three extra norms (+1 like every Qwen3.5 norm), and a
     * full-attention decoder layer under the usual names.
     */
    private void mtpBlock(String p, String b) throws CheckpointException {
        int h = c.hidden();
        tensor(p + "fc.weight", b + "nextn.eh_proj.weight", 2L * h, h);
        // pre_fc_norm_embedding/_hidden are norms too, though their names do not end in norm.weight
        add(find(p + "pre_fc_norm_embedding.weight"), b + "nextn.enorm.weight", dims(h), null, null, plusOne(true));
        add(find(p + "pre_fc_norm_hidden.weight"), b + "nextn.hnorm.weight", dims(h), null, null, plusOne(true));
        tensor(p + "norm.weight", b + "nextn.shared_head_norm.weight", h);
        layer(p + "layers.0.", b, true);
        mtpLayers = 1;
    }

    /** §4.6 / §4.8.2: the DeltaNet tensors; everything indexed by value head is moved to tiled order. */
    private void deltaNet(String p, String b) throws CheckpointException {
        int h = c.hidden(), nv = d.valueHeads(), dv = d.valueHeadDim(), qk = 2 * d.keyDim();
        add(find(p + "in_proj_qkv.weight"), b + "attn_qkv.weight", dims(h, d.convDim()), tiledRows(qk, dv), null, TensorConversion.ValueMap.NONE);
        add(find(p + "in_proj_z.weight"), b + "attn_gate.weight", dims(h, d.valueDim()), tiledRows(0, dv), null, TensorConversion.ValueMap.NONE);
        add(find(p + "in_proj_b.weight"), b + "ssm_beta.weight", dims(h, nv), tiledRows(0, 1), null, TensorConversion.ValueMap.NONE);
        add(find(p + "in_proj_a.weight"), b + "ssm_alpha.weight", dims(h, nv), tiledRows(0, 1), null, TensorConversion.ValueMap.NONE);
        add(squeezed(find(p + "conv1d.weight")), b + "ssm_conv1d.weight", dims(d.convKernel(), d.convDim()), tiledRows(qk, dv), null,
                TensorConversion.ValueMap.NONE);
        add(find(p + "dt_bias", p + "dt_proj.bias"), b + "ssm_dt.bias", dims(nv), null, tiledRows(0, 1), TensorConversion.ValueMap.NONE);
        add(find(p + "A_log"), b + "ssm_a", dims(nv), null, tiledRows(0, 1), TensorConversion.ValueMap.NEG_EXP);
        add(find(p + "norm.weight"), b + "ssm_norm.weight", dims(dv), null, null, TensorConversion.ValueMap.NONE);
        add(find(p + "out_proj.weight"), b + "ssm_out.weight", dims(d.valueDim(), h), null, tiledRows(0, dv), TensorConversion.ValueMap.NONE);
    }

    /**
     * Source index of each output index for a block of {@code prefix} untouched entries followed by n_v value
     * heads of {@code width}: GGUF slot {@code j = ρ·n_k + g} holds HF head {@code g·r + ρ}. {@code null} when
     * n_k = n_v (nothing moves).
     */
    private int[] tiledRows(int prefix, int width) {
        int nk = d.keyHeads(), nv = d.valueHeads(), r = nv / nk;
        if (nk == nv) return null;
        int[] order = new int[prefix + nv * width];
        for (int i = 0; i < prefix; i++) order[i] = i;
        for (int j = 0; j < nv; j++) {
            int hfHead = (j % nk) * r + j / nk;
            for (int i = 0; i < width; i++) order[prefix + j * width + i] = prefix + hfHead * width + i;
        }
        return order;
    }

    /** A tensor that is only renamed (and, for a Qwen3.5 norm, folded). */
    private void tensor(String inner, String gguf, long... dims) throws CheckpointException {
        add(find(inner), gguf, dims, null, null, plusOne(inner.endsWith("norm.weight")));
    }

    /** Every Qwen3.5 RMSNorm weight except the DeltaNet's gated norm is zero-centred in HF (§2.1). */
    private TensorConversion.ValueMap plusOne(boolean isNorm) {
        return qwen35 && isNorm ? TensorConversion.ValueMap.PLUS_ONE : TensorConversion.ValueMap.NONE;
    }

    private void add(Safetensors.Entry e, String gguf, long[] dims, int[] rowOrder, int[] columnOrder, TensorConversion.ValueMap values)
            throws CheckpointException {
        long[] have = ggmlDims(e.shape());
        if (!Arrays.equals(have, dims)) {
            throw new CheckpointException(checkpoint.directory() + ": tensor " + Json.quote(e.name()) + " should have shape "
                    + Arrays.toString(reverse(dims)) + ", checkpoint has " + e.shapeString());
        }
        if (e.dtype().floatType() == null) {
            throw new CheckpointException(checkpoint.directory() + ": tensor " + Json.quote(e.name()) + " has dtype " + e.dtype()
                    + "; only F32, F16 and BF16 weights can be converted");
        }
        Tensor source = new Tensor(e.name(), e.dtype().floatType(), have, e.data());
        plan.add(new TensorConversion(gguf, source, dims, source.type(), rowOrder, columnOrder, values));
    }

    /** The first of the given names (under the checkpoint's text-decoder prefix) that the checkpoint holds. */
    private Safetensors.Entry find(String... inner) throws CheckpointException {
        for (String name : inner) {
            String full = fullName(name);
            Safetensors.Entry e = checkpoint.tensors().get(full);
            if (e != null) {
                used.add(full);
                return e;
            }
        }
        throw new CheckpointException(checkpoint.directory() + ": checkpoint has no tensor " + Json.quote(fullName(inner[0])));
    }

    /** A name as the checkpoint has it: the head and the MTP block sit outside the text decoder's prefix. */
    private String fullName(String name) {
        boolean outside = name.startsWith("lm_head") || name.startsWith("language_model.") || name.startsWith("mtp.")
                || name.startsWith("model.mtp.");
        return outside ? name : prefix + name;
    }

    /** {@code model.language_model.} (multimodal), {@code language_model.model.} or {@code model.}: where the embedding is. */
    private static String textPrefix(HfCheckpoint checkpoint) throws CheckpointException {
        for (String prefix : PREFIXES) if (checkpoint.tensors().containsKey(prefix + "embed_tokens.weight")) return prefix;
        throw new CheckpointException(checkpoint.directory() + ": checkpoint has no token embedding (model.embed_tokens.weight"
                + " or model.language_model.embed_tokens.weight)");
    }

    /** conv1d taps are stored [channels, 1, K]; GGUF keeps [K, channels]. */
    private Safetensors.Entry squeezed(Safetensors.Entry e) {
        long[] s = e.shape();
        if (s.length == 3 && s[1] == 1) return new Safetensors.Entry(e.name(), e.dtype(), new long[] {s[0], s[2]}, e.data());
        return e;
    }

    /** Tensors the converter does not use must be ones it knowingly leaves out (MTP, vision, RoPE caches, a tied head). */
    private void checkNothingLeft() throws CheckpointException {
        for (String name : checkpoint.tensors().keySet()) {
            if (used.contains(name)) continue;
            boolean skipped = name.startsWith("mtp.") || name.startsWith("model.mtp.") || name.startsWith("model.visual.")
                    || name.startsWith("visual.") || name.contains("rotary_emb.inv_freq")
                    || (hf.tied() && (name.equals("lm_head.weight") || name.equals("language_model.lm_head.weight")));
            if (!skipped) {
                throw new CheckpointException(checkpoint.directory() + ": tensor " + Json.quote(name) + " is not part of a "
                        + c.architecture() + " text model as qwen4j knows it");
            }
        }
    }

    private static long[] dims(long... dims) {
        return dims;
    }

    private static long[] ggmlDims(long[] shape) {
        return shape.length == 0 ? new long[] {1} : reverse(shape);
    }

    private static long[] reverse(long[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }
}
