package dev.qwen4j.convert;

import dev.qwen4j.gguf.GgufFile;
import dev.qwen4j.gguf.GgufValue;
import dev.qwen4j.gguf.GgufWriter;
import dev.qwen4j.tensor.GgmlType;
import dev.qwen4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * GGUF → GGUF with another weight type: metadata copied ({@code general.file_type} and
 * {@code general.quantization_version} updated), each tensor dequantized row by row and re-encoded as
 * {@link TargetType#typeFor} says. A tensor already of the wanted type is copied byte for byte.
 */
public final class GgufRequantizer {
    private GgufRequantizer() {
    }

    public static void requantize(Path in, Path out, TargetType target, Consumer<String> progress) throws IOException {
        try (GgufFile gguf = GgufFile.open(in)) {
            writer(gguf, target, progress).write(out);
        }
    }

    /** A writer for the requantized file; the source must stay open until it is written. */
    public static GgufWriter writer(GgufFile gguf, TargetType target, Consumer<String> progress) {
        String arch = gguf.getString("general.architecture", "");
        int layers = gguf.getInt(arch + ".block_count", 0) - gguf.getInt(arch + ".nextn_predict_layers", 0);
        boolean hasOutput = gguf.findTensor("output.weight").isPresent();
        GgufWriter w = new GgufWriter();
        for (Map.Entry<String, GgufValue> e : gguf.metadata().entrySet()) {
            if (!e.getKey().equals("general.file_type") && !e.getKey().equals("general.quantization_version")) w.put(e.getKey(), e.getValue());
        }
        if (target != TargetType.SOURCE) w.putUInt32("general.file_type", target.fileType);
        List<Tensor> tensors = gguf.tensors();
        boolean anyQuantized = false;
        TensorConversion[] plan = new TensorConversion[tensors.size()];
        for (int i = 0; i < plan.length; i++) {
            Tensor t = tensors.get(i);
            GgmlType type = target.typeFor(t.name(), t.shape(), t.type(), layers, hasOutput);
            // 1-D or row-misfit tensors that are stored quantized (unusual) keep their type rather than grow to F32
            if (type == GgmlType.F32 && t.type().isQuantized() && t.shape().length == 1) type = t.type();
            anyQuantized |= type.isQuantized();
            plan[i] = new TensorConversion(t.name(), t, t.shape(), type, null, null, TensorConversion.ValueMap.NONE);
        }
        if (anyQuantized) w.putUInt32("general.quantization_version", 2);
        for (int i = 0; i < plan.length; i++) plan[i].addTo(w, plan[i].describe(i + 1, plan.length), progress);
        return w;
    }
}
