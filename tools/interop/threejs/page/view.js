// Loads /scene.glb with three.js's GLTFLoader and renders it from inside, as a user's page would:
// a PerspectiveCamera at the origin (looking down -Z by default), default single-sided
// materials, sRGB output, no tone mapping. The driver (../render.mjs) calls
// window.panoforgeRender(options) and gets every view back as a PNG data URL.
import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { DRACOLoader } from 'three/addons/loaders/DRACOLoader.js';
import { KTX2Loader } from 'three/addons/loaders/KTX2Loader.js';
import { MeshoptDecoder } from 'three/addons/libs/meshopt_decoder.module.js';

const DEG = Math.PI / 180;

function describe(gltf) {
  // What three.js made of the file: meshes, their geometry, material and texture.
  const meshes = [];
  gltf.scene.traverse((obj) => {
    if (!obj.isMesh) return;
    const geo = obj.geometry;
    const mat = obj.material;
    const map = mat.map;
    // Where the part landed: the mean of its vertices in the world frame (node transforms).
    obj.updateMatrixWorld(true);
    const v = new THREE.Vector3();
    const mean = new THREE.Vector3();
    const pos = geo.attributes.position;
    for (let i = 0; i < pos.count; i += 1) mean.add(v.fromBufferAttribute(pos, i).applyMatrix4(obj.matrixWorld));
    mean.divideScalar(Math.max(pos.count, 1));
    meshes.push({
      name: obj.name,
      parent: obj.parent ? obj.parent.name : null,
      worldMean: [mean.x, mean.y, mean.z],
      vertices: geo.attributes.position.count,
      indices: geo.index ? geo.index.count : null,
      attributes: Object.keys(geo.attributes).sort(),
      material: {
        type: mat.type,
        side: mat.side, // THREE.FrontSide = 0, BackSide = 1, DoubleSide = 2
        name: mat.name,
        map: map ? {
          width: map.image.width,
          height: map.image.height,
          colorSpace: map.colorSpace,
          wrapS: map.wrapS,
          wrapT: map.wrapT,
          flipY: map.flipY,
          compressed: map.isCompressedTexture === true, // KTX2 transcoded to a GPU block format
          format: map.format,
        } : null,
      },
    });
  });
  return { meshes, sceneUserData: gltf.scene.userData };
}

function verticalFov(horizontalDeg, width, height) {
  // three.js's PerspectiveCamera.fov is vertical; Panoforge's renders give the horizontal one.
  return 2 * Math.atan(Math.tan((horizontalDeg * DEG) / 2) * (height / width)) / DEG;
}

window.panoforgeRender = async function panoforgeRender(options) {
  const { width, height, fovDeg, views } = options;
  const canvas = document.createElement('canvas');
  document.body.appendChild(canvas);
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
  renderer.setPixelRatio(1);
  renderer.setSize(width, height, false);
  // The decoders a web page registers for compressed files (Draco, meshopt, KTX2 with the
  // Basis transcoder), from the three package's own examples/jsm/libs.
  const draco = new DRACOLoader().setDecoderPath('/three/examples/jsm/libs/draco/gltf/');
  const ktx2 = new KTX2Loader().setTranscoderPath('/three/examples/jsm/libs/basis/').detectSupport(renderer);
  const loader = new GLTFLoader().setDRACOLoader(draco).setKTX2Loader(ktx2).setMeshoptDecoder(MeshoptDecoder);
  const gltf = await loader.loadAsync('/scene.glb');
  // A 'collider' node is collision geometry for engines, never drawn.
  gltf.scene.traverse((obj) => { if (obj.name === 'collider') obj.visible = false; });
  const gl = renderer.getContext();
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x000000);
  scene.add(gltf.scene);
  const camera = new THREE.PerspectiveCamera(verticalFov(fovDeg, width, height), width / height, 0.01, 1000);
  camera.rotation.order = 'YXZ'; // yaw about +Y, then pitch: the way a visitor turns their head
  const images = {};
  for (const view of views) {
    // Panoforge's yaw turns right (towards +X); three.js's rotation.y turns left.
    camera.rotation.set(view.pitchDeg * DEG, -view.yawDeg * DEG, 0);
    camera.updateMatrixWorld();
    renderer.render(scene, camera);
    images[view.name] = canvas.toDataURL('image/png');
  }
  return {
    threeRevision: THREE.REVISION,
    webgl: {
      version: gl.getParameter(gl.VERSION),
      renderer: debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    },
    outputColorSpace: renderer.outputColorSpace,
    camera: { fovVerticalDeg: camera.fov, aspect: camera.aspect, near: camera.near, far: camera.far },
    ...describe(gltf),
    images,
  };
};
window.panoforgeReady = true;
