import './lib/zod-jitless.js';
import { mount } from 'svelte';
import App from './App.svelte';
import { connectToHost } from './lib/connect.js';
import { UiState } from './state/ui.svelte.js';
import './styles.css';

const target = document.getElementById('app')!;
mount(App, { target, props: { ui: new UiState(connectToHost()) } });
