// The Draco decoder that Blender's glTF importer loads with ctypes (libextern_draco.so).
//
// Blender's official builds ship this library; Debian's blender package does not, so its
// importer cannot open KHR_draco_mesh_compression files. The tests build this file against
// Debian's libdraco (the reference Draco decoder, package libdraco-dev) and point Blender at
// it with BLENDER_EXTERN_DRACO_LIBRARY_PATH, so the `unreal` preset's Draco GLB is imported
// by Blender's own importer and decoded by Google's own decoder. Only the functions the
// importer calls are here (io_scene_gltf2/blender/imp/gltf2_io_draco_compression_extension.py
// declares them): decode a buffer, then hand out the indices and each attribute converted to
// the accessor's glTF component type.
//
// Written for Panoforge's tests from the importer's ctypes declarations and Draco's public
// headers; test tooling only, never part of the product.

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "draco/compression/decode.h"
#include "draco/mesh/mesh.h"

namespace {

// glTF component types (the OpenGL enums).
constexpr uint32_t kByte = 5120, kUnsignedByte = 5121, kShort = 5122,
                   kUnsignedShort = 5123, kUnsignedInt = 5125, kFloat = 5126;

struct Decoder {
  std::unique_ptr<draco::Mesh> mesh;
  std::vector<uint8_t> indices;
  std::map<uint32_t, std::vector<uint8_t>> attributes;  // by Draco unique id
};

int ComponentsOf(const char *type) {
  const std::string t(type);
  if (t == "SCALAR") return 1;
  if (t == "VEC2") return 2;
  if (t == "VEC3") return 3;
  if (t == "VEC4" || t == "MAT2") return 4;
  if (t == "MAT3") return 9;
  if (t == "MAT4") return 16;
  return 0;
}

template <typename T>
bool ReadValues(const draco::Mesh &mesh, const draco::PointAttribute &att, int components,
                std::vector<uint8_t> *out) {
  const uint32_t n = mesh.num_points();
  out->resize(sizeof(T) * components * static_cast<size_t>(n));
  T *dst = reinterpret_cast<T *>(out->data());
  for (uint32_t i = 0; i < n; ++i) {
    const draco::AttributeValueIndex v = att.mapped_index(draco::PointIndex(i));
    if (!att.ConvertValue<T>(v, static_cast<int8_t>(components), dst + i * components)) {
      return false;
    }
  }
  return true;
}

template <typename T>
void ReadIndices(const draco::Mesh &mesh, std::vector<uint8_t> *out) {
  const uint32_t faces = mesh.num_faces();
  out->resize(sizeof(T) * 3 * static_cast<size_t>(faces));
  T *dst = reinterpret_cast<T *>(out->data());
  for (uint32_t f = 0; f < faces; ++f) {
    const draco::Mesh::Face &face = mesh.face(draco::FaceIndex(f));
    for (int k = 0; k < 3; ++k) dst[3 * f + k] = static_cast<T>(face[k].value());
  }
}

}  // namespace

extern "C" {

Decoder *decoderCreate() { return new Decoder(); }

void decoderRelease(Decoder *d) { delete d; }

bool decoderDecode(Decoder *d, void *data, size_t length) {
  draco::DecoderBuffer buffer;
  buffer.Init(static_cast<const char *>(data), length);
  draco::Decoder decoder;
  auto result = decoder.DecodeMeshFromBuffer(&buffer);
  if (!result.ok()) return false;
  d->mesh = std::move(result).value();
  return d->mesh != nullptr;
}

uint32_t decoderGetVertexCount(Decoder *d) { return d->mesh ? d->mesh->num_points() : 0; }

uint32_t decoderGetIndexCount(Decoder *d) { return d->mesh ? 3 * d->mesh->num_faces() : 0; }

bool decoderAttributeIsNormalized(Decoder *d, uint32_t id) {
  const draco::PointAttribute *att = d->mesh ? d->mesh->GetAttributeByUniqueId(id) : nullptr;
  return att != nullptr && att->normalized();
}

bool decoderReadAttribute(Decoder *d, uint32_t id, size_t component_type, char *type) {
  const draco::PointAttribute *att = d->mesh ? d->mesh->GetAttributeByUniqueId(id) : nullptr;
  const int components = ComponentsOf(type);
  if (att == nullptr || components == 0) return false;
  std::vector<uint8_t> &out = d->attributes[id];
  switch (component_type) {
    case kByte: return ReadValues<int8_t>(*d->mesh, *att, components, &out);
    case kUnsignedByte: return ReadValues<uint8_t>(*d->mesh, *att, components, &out);
    case kShort: return ReadValues<int16_t>(*d->mesh, *att, components, &out);
    case kUnsignedShort: return ReadValues<uint16_t>(*d->mesh, *att, components, &out);
    case kUnsignedInt: return ReadValues<uint32_t>(*d->mesh, *att, components, &out);
    case kFloat: return ReadValues<float>(*d->mesh, *att, components, &out);
    default: return false;
  }
}

size_t decoderGetAttributeByteLength(Decoder *d, uint32_t id) {
  auto it = d->attributes.find(id);
  return it == d->attributes.end() ? 0 : it->second.size();
}

void decoderCopyAttribute(Decoder *d, uint32_t id, void *out) {
  auto it = d->attributes.find(id);
  if (it != d->attributes.end()) std::memcpy(out, it->second.data(), it->second.size());
}

bool decoderReadIndices(Decoder *d, size_t component_type) {
  if (!d->mesh) return false;
  switch (component_type) {
    case kUnsignedByte: ReadIndices<uint8_t>(*d->mesh, &d->indices); return true;
    case kUnsignedShort: ReadIndices<uint16_t>(*d->mesh, &d->indices); return true;
    case kUnsignedInt: ReadIndices<uint32_t>(*d->mesh, &d->indices); return true;
    default: return false;
  }
}

size_t decoderGetIndicesByteLength(Decoder *d) { return d->indices.size(); }

void decoderCopyIndices(Decoder *d, void *out) {
  std::memcpy(out, d->indices.data(), d->indices.size());
}

}  // extern "C"
